"""What a request handler reaches for: the pod the request is for."""

from __future__ import annotations

from flask import current_app, g

from pds.consent import Pod


def current_pod() -> Pod:
    """The app's one pod, or in provider mode the one the request's address names."""
    pod: Pod | None = g.get("pod")
    if pod is None:
        pod = current_app.extensions["pds.pod"]
    return pod
