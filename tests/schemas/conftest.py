"""Fixtures of the tests in tests/schemas."""

import socket

import pytest


@pytest.fixture
def no_network(monkeypatch):
    """Every test that uses this must pass with the network unreachable: nothing may be fetched.

    The shape, context and purpose tests use it for the whole module (`pytestmark`).
    """

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
