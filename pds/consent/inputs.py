"""The shapes of identifiers and short texts the use cases accept from outside.

An identifier from a URL (a request, grant or token id) that the pod could never have made is
simply not found, without a database query; text with control characters is refused (and
PostgreSQL could not store a NUL byte in any case).
"""

from __future__ import annotations

import math
import re
import unicodedata

from pds.consent.errors import InvalidInput

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_id(value: object) -> bool:
    """Whether `value` could be an id this pod made (url-safe base64 or hex, at most 64)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def plain_text(value: str, what: str) -> str:
    """`value` unless it holds control characters (NUL, escape, line breaks...) or lone
    surrogates (not Unicode text: nothing could store or show them)."""
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise InvalidInput(f"{what} cannot contain control characters")
    return value


# Characters that reorder the text around them (RLO, isolates, marks): in a name or a subject
# they can make "Refund \u202egnp.exe" look like "Refund exe.png".
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f" + "".join(map(chr, range(0x202A, 0x202F))) + "\u2066\u2067\u2068\u2069"
)


def one_line(value: str, what: str) -> str:
    """`value` as one line people read (a name, a subject): no control characters, no lone
    surrogates, nothing that reorders the text; InvalidInput naming `what` otherwise."""
    plain_text(value, what)
    if any(c in _BIDI_CONTROLS for c in value):
        raise InvalidInput(f"{what} cannot contain characters that reorder the text")
    return value


def shown_on_one_line(value: str) -> str:
    """`value` made fit for `one_line`: each control, reordering or unpaired character becomes
    a space (for text the pod quotes from elsewhere, such as an intent's name)."""
    unfit = ("Cc", "Cs")
    return "".join(
        " " if c in _BIDI_CONTROLS or unicodedata.category(c) in unfit else c for c in value
    ).strip()


def is_text(value: object) -> bool:
    """A str that is Unicode text (no lone surrogates): one that can be encoded as UTF-8."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_time(value: object) -> bool:
    """A NumericDate (RFC 7519 2): a number, not a bool or a string, and not beyond what a
    clock can hold (a 400-digit integer overflows a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return -(2**62) < value < 2**62 and math.isfinite(value)


LEEWAY = 30  # seconds of difference allowed between the signer's clock and the pod's


def check_lifetime(claims: dict[str, object], now: float, max_lifetime: int, noun: str) -> None:
    """The `iat`, `exp` and optional `nbf` of a signed request, offer or message (`noun`):
    numbers, issued before now, not expired, valid now, and expiring after `iat` but within
    `max_lifetime` seconds of it; each with LEEWAY for clocks. InvalidInput says which."""
    iat, exp = claims["iat"], claims["exp"]
    if not (is_time(iat) and is_time(exp)):
        raise InvalidInput(f"the {noun}'s iat and exp must be numbers (seconds since 1970)")
    assert isinstance(iat, int | float) and isinstance(exp, int | float)  # for the type checker
    if exp < now - LEEWAY:
        raise InvalidInput(f"the {noun} has expired (exp): sign a new one")
    if iat > now + LEEWAY:
        raise InvalidInput(f"the {noun}'s iat is in the future: check your clock")
    if not iat <= exp <= iat + max_lifetime:
        article = "an" if noun[0] in "aeiou" else "a"
        raise InvalidInput(f"{article} {noun} must expire within {max_lifetime} s of its iat")
    nbf = claims.get("nbf", iat)
    if not is_time(nbf) or nbf > now + LEEWAY:  # type: ignore[operator]
        raise InvalidInput(f"the {noun} is not valid yet (nbf) or its nbf is not a number")
