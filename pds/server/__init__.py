"""The HTTP face of the pod: ``create_app(settings)`` builds the Flask app."""

from pds.server.app import create_app

__all__ = ["create_app"]
