"""Compact JWS helpers of the independent client: base64url, unverified header and payload,
``ath`` and ``jti`` values (§Conventions, §7.2)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any


class ProtocolError(Exception):
    """The pod answered something the document says it must not."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jws_header(token: str) -> dict[str, Any]:
    """The protected header of a compact JWS, unverified (to check ``typ`` first, §Conventions)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ProtocolError("not a compact JWS")
    return json.loads(b64url_decode(parts[0]))


def jws_payload(token: str) -> dict[str, Any]:
    """The payload of a compact JWS, unverified (for tests that inspect what they send)."""
    return json.loads(b64url_decode(token.split(".")[1]))


def ath(grant: str) -> str:
    """§7.2: base64url(SHA-256(the grant exactly as sent))."""
    return b64url(hashlib.sha256(grant.encode("ascii")).digest())


def new_jti() -> str:
    return b64url(secrets.token_bytes(16))
