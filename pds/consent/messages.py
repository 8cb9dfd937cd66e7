"""What a vendor's message is: a JWS signed by its own key, holding an ActivityStreams 2.0
`Note` for one thread (protocol §15). Checked before anything is stored: typed, bounded,
plain text. The text is untrusted; the page shows it as text, never as HTML.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from typing import Any

from pds.consent import jose
from pds.consent.errors import InvalidInput, TooLarge
from pds.consent.inputs import check_lifetime, is_text, one_line

MESSAGE_TYP = "pds-message+jwt"
MAX_MESSAGE_BYTES = 16384  # the signed message
MAX_TEXT = 4000  # characters of a message's text
MAX_SUBJECT = 200
MAX_LIFETIME = 600  # seconds from iat to exp
AS2 = "https://www.w3.org/ns/activitystreams"


@dataclasses.dataclass(frozen=True)
class SignedMessage:
    """A vendor's message, verified: who signed it, what it says, and as sent."""

    vendor_id: str
    vendor_jwk: dict[str, Any]
    audience: str  # the URL it was sent to: the thread, or the inbox
    text: str
    subject: str | None  # the object's `name`: a new thread's subject
    jti: str
    expires_at: dt.datetime
    signed: str


def read_signed(signed: str, audience: str, now: dt.datetime) -> SignedMessage:
    """A vendor's message sent to `audience` (the URL it was posted to), checked; TooLarge or
    InvalidInput (with what is wrong) otherwise."""
    if len(signed) > MAX_MESSAGE_BYTES:
        raise TooLarge(f"a signed message is at most {MAX_MESSAGE_BYTES} bytes")
    verified = jose.verify_self_signed(signed, MESSAGE_TYP, "the message")
    claims = verified.claims
    for name in ("aud", "iat", "exp", "jti", "object"):
        if name not in claims:
            raise InvalidInput(f"the message's claims are invalid: {name!r} is required")
    if claims["aud"] != audience:
        raise InvalidInput("the message's aud must be the URL it is sent to")
    check_lifetime(claims, now.timestamp(), MAX_LIFETIME, "message")
    jti = claims["jti"]
    if not is_text(jti) or not 8 <= len(jti) <= 128:
        raise InvalidInput("the message's jti must be a unique string of 8 to 128 characters")
    text, subject = _note(claims["object"])
    return SignedMessage(
        vendor_id=verified.thumbprint,
        vendor_jwk=verified.jwk,
        audience=audience,
        text=text,
        subject=subject,
        jti=jti,
        expires_at=dt.datetime.fromtimestamp(claims["exp"] + 60, dt.UTC),
        signed=signed,
    )


def _note(raw: Any) -> tuple[str, str | None]:
    """The text and subject of an AS2 Note; InvalidInput for anything else."""
    if not isinstance(raw, dict) or raw.get("type") != "Note":
        raise InvalidInput('the message\'s object is an ActivityStreams Note: {"type": "Note", …}')
    if raw.get("mediaType", "text/plain") != "text/plain":
        raise InvalidInput("a message's mediaType is text/plain: it is shown as text, not HTML")
    content = raw.get("content")
    if not isinstance(content, str):
        raise InvalidInput("the Note's content is the message's text")
    subject = raw.get("name")
    if subject is not None and not isinstance(subject, str):
        raise InvalidInput("the Note's name (a new thread's subject) is text")
    return message_text(content), (subject_text(subject) if subject is not None else None)


def message_text(value: str) -> str:
    """A message's text: 1 to MAX_TEXT characters, line breaks and tabs but no other control
    characters (TooLarge above the limit)."""
    text = value.strip()
    if not text or not is_text(text):
        raise InvalidInput("a message says something: its text cannot be empty")
    if len(text) > MAX_TEXT:
        raise TooLarge(f"a message is at most {MAX_TEXT} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t\r" for c in text):
        raise InvalidInput("a message cannot contain control characters")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def subject_text(value: str) -> str:
    """A thread's subject: one line of 1 to MAX_SUBJECT characters."""
    subject = value.strip()
    if not subject or not is_text(subject) or len(subject) > MAX_SUBJECT:
        raise InvalidInput(f"a subject is one line of 1 to {MAX_SUBJECT} characters")
    return one_line(subject, "a subject")
