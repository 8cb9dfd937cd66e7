"""The shapes of identifiers and short texts the use cases accept from outside.

An identifier from a URL (a request, grant or token id) that the pod could never have made is
simply not found, without a database query; text with control characters is refused (and
PostgreSQL could not store a NUL byte in any case).
"""

from __future__ import annotations

import re
import unicodedata

from pds.consent.errors import InvalidInput

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_id(value: object) -> bool:
    """Whether `value` could be an id this pod made (url-safe base64 or hex, at most 64)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def plain_text(value: str, what: str) -> str:
    """`value` unless it holds control characters (NUL, escape, line breaks...)."""
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise InvalidInput(f"{what} cannot contain control characters")
    return value
