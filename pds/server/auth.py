"""Who is calling: the owner, with an API token (or, to mint one, the password)."""

from __future__ import annotations

import base64
import binascii

from flask import request

from pds.consent import InvalidCredentials, NotAuthenticated
from pds.server.current import current_pod

OWNER_HINT = "send an owner token as 'Authorization: Bearer pds_...'"


def require_owner(*, allow_password: bool = False) -> None:
    """Return if the request is the owner's, else raise (mapped to 401 with a reason)."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if not header:
        how = OWNER_HINT + (" (or the owner password with HTTP Basic)" if allow_password else "")
        raise NotAuthenticated(f"this is private to the pod's owner: {how}")
    if scheme == "bearer" and credentials:
        current_pod().account.authenticate_token(credentials)
        return
    if scheme == "basic" and allow_password:
        current_pod().account.verify_password(_basic_password(credentials))
        return
    raise InvalidCredentials(f"unsupported Authorization scheme {scheme!r}: {OWNER_HINT}")


def _basic_password(credentials: str) -> str:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):  # ValueError: not even ASCII
        raise InvalidCredentials("malformed Basic credentials") from None
    _user, sep, password = decoded.partition(":")
    if not sep:
        raise InvalidCredentials("malformed Basic credentials: expected user:password")
    return password
