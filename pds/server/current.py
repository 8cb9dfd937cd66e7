"""What a request handler reaches for: the pod this app serves, and its settings."""

from __future__ import annotations

from flask import current_app

from pds.consent import Pod
from pds.settings import Settings


def current_pod() -> Pod:
    pod: Pod = current_app.extensions["pds.pod"]
    return pod


def current_settings() -> Settings:
    settings: Settings = current_app.extensions["pds.settings"]
    return settings
