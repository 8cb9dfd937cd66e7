"""What a request handler reaches for: the pod this app serves."""

from __future__ import annotations

from flask import current_app

from pds.consent import Pod


def current_pod() -> Pod:
    pod: Pod = current_app.extensions["pds.pod"]
    return pod
