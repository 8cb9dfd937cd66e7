"""The HTTP face of the pod: ``create_app(settings)`` builds the Flask app."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so that importing one small module (pds.server.buffered, say) loads no app.
    if name == "create_app":
        from pds.server.app import create_app

        return create_app
    raise AttributeError(name)
