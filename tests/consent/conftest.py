"""Fixtures of the tests in tests/consent."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519


@pytest.fixture
def private_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()
