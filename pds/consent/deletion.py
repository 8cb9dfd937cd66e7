"""Stop and delete (protocol §19): the customer asks a vendor to delete what a grant let it hold;
the vendor answers with an acknowledgement signed by the key the grant is bound to; the pod keeps
it, with a receipt the pod signs, so both sides can later show what was asked and answered.

`read_acknowledgement` is a pure function of the token, the grant it is about, that grant's key
and the clock, like the DPoP checks of `pds.consent.dpop`: nothing is written unless every check
passes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from typing import Any

import jwt
import sqlalchemy as sa

from pds.consent import jose
from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.context import PodContext
from pds.consent.errors import (
    DeletionAlreadyAcknowledged,
    DeletionNotRequested,
    GrantNotFound,
    InvalidInput,
    TooLarge,
)
from pds.consent.inputs import LEEWAY, is_id, is_text, is_time, one_line
from pds.consent.notifications import Addressee
from pds.store import NotFound
from pds.store import grants as grant_rows
from pds.store import requests as request_rows

ACK_TYP = "deletion-ack+jwt"
RECEIPT_TYP = "deletion-receipt+jwt"
MAX_ACK_BYTES = 16384  # the signed acknowledgement, as sent
MAX_STATEMENT = 500  # characters of the vendor's statement
MAX_AGE = 300  # seconds an acknowledgement is accepted after its iat
ASKED, CONFIRMED = "asked", "confirmed"  # a grant's `deletion`, once asked
_REQUIRED = ("iss", "aud", "grant", "deleted", "iat", "jti")


@dataclasses.dataclass(frozen=True)
class Acknowledgement:
    """A vendor's acknowledgement whose signature and claims checked out."""

    grant_id: str
    vendor_id: str
    jti: str
    statement: str | None  # plain text, one line, at most MAX_STATEMENT characters
    token: str  # the compact JWS, as sent


def read_acknowledgement(
    token: str,
    *,
    grant_id: str,
    vendor_id: str,
    vendor_jwk: dict[str, Any],
    audience: str,
    now: float,
) -> Acknowledgement:
    """The acknowledgement in `token` if it is a `deletion-ack+jwt` about `grant_id`, signed by
    `vendor_jwk` (the key the grant is bound to, whose thumbprint is `vendor_id`) with an
    allowed algorithm, addressed to `audience` (the pod's base URL) and made within MAX_AGE
    seconds of `now`. TooLarge or InvalidInput, saying what is wrong, otherwise.
    """
    if len(token) > MAX_ACK_BYTES:
        raise TooLarge(f"a deletion acknowledgement is at most {MAX_ACK_BYTES} bytes")
    jws = jose.parse_compact(token)
    header = jws.header
    if header.get("typ") != ACK_TYP:
        raise InvalidInput(f"the acknowledgement's typ header must be {ACK_TYP!r}")
    if not secrets.compare_digest(jose.thumbprint(vendor_jwk), vendor_id):
        raise InvalidInput("the grant's key does not match its vendor id")  # never, if stored
    header_jwk = header.get("jwk")
    if header_jwk is not None and (
        not isinstance(header_jwk, dict) or not _is_key_of(header_jwk, vendor_id)
    ):
        raise InvalidInput("the acknowledgement's jwk header is not the key the grant is bound to")
    try:
        key = jose.public_key(vendor_jwk, header.get("alg"))
        jose.verify_signature(jws, key, header["alg"])
    except InvalidInput as exc:
        raise InvalidInput(
            f"the acknowledgement is not signed by the key the grant is bound to: {exc}"
        ) from None
    claims = jws.payload
    _check_claims(claims, grant_id=grant_id, vendor_id=vendor_id, audience=audience, now=now)
    return Acknowledgement(grant_id, vendor_id, claims["jti"], _statement(claims), token)


def _is_key_of(jwk: dict[str, Any], vendor_id: str) -> bool:
    try:
        return secrets.compare_digest(jose.thumbprint(jwk), vendor_id)
    except InvalidInput:
        return False


def _check_claims(
    claims: dict[str, Any], *, grant_id: str, vendor_id: str, audience: str, now: float
) -> None:
    for name in _REQUIRED:
        if name not in claims:
            raise InvalidInput(f"the acknowledgement's claims are invalid: {name!r} is required")
    if claims["iss"] != vendor_id:
        raise InvalidInput("the acknowledgement's iss must be your vendor id (the grant's cnf.jkt)")
    if claims["aud"] != audience:
        raise InvalidInput(f"the acknowledgement's aud must be the pod's issuer, {audience}")
    if claims["grant"] != grant_id:
        raise InvalidInput("the acknowledgement's grant must be the grant named in the URL")
    if claims["deleted"] is not True:
        raise InvalidInput("the acknowledgement's deleted must be true: acknowledge when done")
    iat = claims["iat"]
    if not is_time(iat):
        raise InvalidInput("the acknowledgement's iat must be a number (seconds since 1970)")
    if iat > now + LEEWAY:
        raise InvalidInput("the acknowledgement's iat is in the future: check your clock")
    if iat < now - MAX_AGE:
        raise InvalidInput(f"the acknowledgement is older than {MAX_AGE} s: sign a new one")
    exp = claims.get("exp")
    if exp is not None and (not is_time(exp) or exp < now - LEEWAY):
        raise InvalidInput("the acknowledgement has expired (exp), or its exp is not a number")
    jti = claims["jti"]
    if not is_text(jti) or not 8 <= len(jti) <= 128:
        raise InvalidInput(
            "the acknowledgement's jti must be a unique string of 8 to 128 characters"
        )


def _statement(claims: dict[str, Any]) -> str | None:
    raw = claims.get("statement")
    if raw is None:
        return None
    if not is_text(raw) or not raw.strip():
        raise InvalidInput("the acknowledgement's statement, when given, is text")
    text: str = raw.strip()
    if len(text) > MAX_STATEMENT:
        raise InvalidInput(f"the acknowledgement's statement is at most {MAX_STATEMENT} characters")
    return one_line(text, "the acknowledgement's statement")


def statement_of(ack: str) -> str | None:
    """The statement of an acknowledgement the pod checked and kept."""
    claims = jwt.decode(ack, options={"verify_signature": False})
    statement = claims.get("statement")
    return statement.strip() if isinstance(statement, str) else None


# -- the use cases ---------------------------------------------------------------------------


def record_request(ctx: PodContext, conn: sa.Connection, grant: Addressee, *, notify: bool) -> None:
    """In the caller's transaction, which has just marked deletion asked: audit it, and with
    `notify` tell the vendor with a `DeletionRequest` (else the `Revoke` carries the request)."""
    detail = {"grant": grant.id, "vendor": grant.vendor_id}
    ctx.record(conn, OWNER, Action.DELETION_REQUEST, Outcome.OK, detail=detail)
    if notify:
        ctx.outbox.queue(conn, grant, {"type": "DeletionRequest", "grant": grant.id})


def acknowledge(ctx: PodContext, grant_id: str, token: str) -> str:
    """Check the vendor's acknowledgement for `grant_id`, keep it with the pod's signed receipt,
    and return that receipt (a compact JWS).

    GrantNotFound, TooLarge or InvalidInput (the acknowledgement), DeletionNotRequested, or
    DeletionAlreadyAcknowledged (the first acknowledgement stands); nothing is written then.
    """
    if len(token) > MAX_ACK_BYTES:  # before anything is looked up
        raise TooLarge(f"a deletion acknowledgement is at most {MAX_ACK_BYTES} bytes")
    if not is_id(grant_id):
        raise GrantNotFound(f"there is no grant {grant_id!r}")
    with ctx.store.read() as conn:
        try:
            grant = grant_rows.get(conn, ctx.id, grant_id)
            vendor_jwk = request_rows.get(conn, ctx.id, grant.request_id).vendor_jwk
        except NotFound:
            raise GrantNotFound(f"there is no grant {grant_id!r}") from None
    now = ctx.clock().replace(microsecond=0)  # kept as the receipt says it, to the second
    ack = read_acknowledgement(
        token,
        grant_id=grant.id,
        vendor_id=grant.vendor_id,
        vendor_jwk=vendor_jwk,
        audience=ctx.base_url,
        now=now.timestamp(),
    )
    if grant.deletion_requested_at is None:
        raise DeletionNotRequested(
            "the customer has not asked you to delete anything for this grant"
        )
    if grant.deletion_acknowledged_at is not None:
        raise DeletionAlreadyAcknowledged(_ALREADY)
    claims = receipt_claims(
        ctx.base_url, grant.id, grant.vendor_id, token, grant.deletion_requested_at, now
    )
    receipt = ctx.keys.sign(claims, RECEIPT_TYP)
    with ctx.store.begin() as conn:
        kept = grant_rows.acknowledge_deletion(
            conn, ctx.id, grant.id, ack=token, receipt=receipt, at=now
        )
        if not kept:  # another acknowledgement won a moment ago
            raise DeletionAlreadyAcknowledged(_ALREADY)
        detail = {"grant": grant.id, "vendor": grant.vendor_id, "statement": ack.statement}
        ctx.record(conn, grant.vendor_id, Action.DELETION_ACK, Outcome.OK, detail=detail)
    return receipt


_ALREADY = "you already acknowledged this deletion: the first acknowledgement stands"


def receipt_claims(
    pod_url: str,
    grant_id: str,
    vendor_id: str,
    ack: str,
    requested_at: dt.datetime,
    acknowledged_at: dt.datetime,
) -> dict[str, Any]:
    """What the pod's deletion receipt says: which grant, which vendor, the acknowledgement (by
    its SHA-256) and when deletion was asked and acknowledged (NumericDates)."""
    return {
        "iss": pod_url,
        "aud": vendor_id,
        "sub": grant_id,
        "vendor": vendor_id,
        "jti": secrets.token_urlsafe(16),
        "iat": int(acknowledged_at.timestamp()),
        "ack_sha256": jose.sha256_b64url(ack),
        "requested_at": int(requested_at.timestamp()),
        "acknowledged_at": int(acknowledged_at.timestamp()),
    }
