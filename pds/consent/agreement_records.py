"""Agreement interaction records: every step of an IEEE 7012 negotiation, signed by the pod.

Each step (the proffer, the vendor's answer, the customer's decision) is recorded as a DPV P7012
`AgreementInteractionRecord` the pod signs like a receipt. The vendor fetches the same signed
records and holds its own signed answer beside them, so the two sides keep matching records
(parties, agreement, time, context), which either can audit. `Agreements` is the pod's door to
them, and to the agreement the customer proffers (see `pds.consent.agreements`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from typing import Any

import jwt
import sqlalchemy as sa

from pds.consent import jose
from pds.consent.agreements import (
    AGREED,
    ALTERNATIVE,
    ANSWER,
    ANSWER_TYP,
    ANSWERED,
    DECISION,
    ENTITY,
    ENTITY_AGENT,
    MAX_ANSWER_BYTES,
    MAX_ANSWER_LIFETIME,
    P7012,
    PERSON,
    PERSON_AGENT,
    PROFFER,
    PROFFERED,
    RECORD_TYP,
    REFUSED,
    REJECT,
    ROSTER,
    STANDARD,
    Agreement,
    AgreementAnswer,
    on_roster,
    parse_answer,
    preferred_id,
    roster,
)
from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.context import PodContext
from pds.consent.errors import AlreadyDecided, InvalidInput, RequestNotFound
from pds.consent.inputs import check_lifetime, is_id, is_text
from pds.consent.keys import SigningKey
from pds.store import NotFound, pods
from pds.store import agreement_records as rows
from pds.store import requests as request_rows


@dataclasses.dataclass(frozen=True)
class Negotiation:
    """What an agreement interaction is about: one access request of one vendor."""

    request_id: str
    vendor_id: str
    vendor: dict[str, Any]
    purpose: dict[str, str]
    scopes: list[dict[str, Any]]  # as the vendor asked


@dataclasses.dataclass(frozen=True)
class AgreementRecord:
    """One interaction, as the pod signed it."""

    id: str
    request_id: str
    sequence: int
    interaction: str  # PROFFER, ANSWER or DECISION
    vendor_id: str
    agreement: str | None
    status: str  # a DPV P7012 negotiation status IRI
    at: dt.datetime
    signed: str  # the pod's signed record (compact JWS)
    vendor_signed: str | None  # the vendor's own signed answer (its half), for an answer

    @classmethod
    def from_row(cls, row: rows.AgreementRecordRow) -> AgreementRecord:
        return cls(**dataclasses.asdict(row))

    def claims(self) -> dict[str, Any]:
        """The signed record's payload; the pod signed it, and shows it as it is."""
        claims: dict[str, Any] = jwt.decode(self.signed, options={"verify_signature": False})
        return claims

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request": self.request_id,
            "sequence": self.sequence,
            "interaction": self.interaction,
            "vendor_id": self.vendor_id,
            "agreement": self.agreement,
            "status": self.status,
            "at": self.at.isoformat(),
            "record": self.claims(),
            "jws": self.signed,
            "vendor_jws": self.vendor_signed,
        }


def record_submission(
    ctx: PodContext,
    conn: sa.Connection,
    key: SigningKey,
    negotiation: Negotiation,
    answer: AgreementAnswer | None,
    vendor_signed: str,
) -> None:
    """In the caller's transaction: the proffer and the vendor's answer, if it gave one."""
    if answer is None:
        return
    at, proffered = ctx.clock(), answer.proffered
    _record(ctx, conn, key, negotiation, PROFFER, PROFFERED, proffered, at, PERSON_AGENT)
    _record(
        ctx,
        conn,
        key,
        negotiation,
        ANSWER,
        ANSWERED[answer.answer],
        answer.alternative or proffered,
        at,
        ENTITY_AGENT,
        facts={"proffered": proffered, "answer": answer.answer, "alternative": answer.alternative},
        context={"vendor_signed": jose.sha256_b64url(vendor_signed)},
        vendor_signed=vendor_signed,
    )


def record_decision(
    ctx: PodContext,
    conn: sa.Connection,
    key: SigningKey,
    negotiation: Negotiation,
    answer: AgreementAnswer | None,
    *,
    agreed: str | None,
    grant_id: str | None,
    at: dt.datetime,
    by_rule: str | None = None,
) -> rows.AgreementRecordRow | None:
    """In the caller's transaction: the customer's decision on a request the vendor answered
    (None if it did not: there was no negotiation to record), made by them or by one of their
    standing rules (`by_rule`)."""
    if answer is None:
        return None
    access = "approved" if grant_id else "denied"
    return _record(
        ctx,
        conn,
        key,
        negotiation,
        DECISION,
        AGREED if agreed else REFUSED,
        agreed,
        at,
        PERSON,
        facts={
            "proffered": answer.proffered,
            "answer": answer.answer,
            "alternative": answer.alternative,
            "agreed": agreed,
        },
        context={
            "access": access,
            "grant": grant_id,
            **({"standing_rule": by_rule} if by_rule else {}),
        },
    )


def _record(
    ctx: PodContext,
    conn: sa.Connection,
    key: SigningKey,
    negotiation: Negotiation,
    interaction: str,
    status: str,
    agreement_id: str | None,
    at: dt.datetime,
    actor: str,
    *,
    facts: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    vendor_signed: str | None = None,
) -> rows.AgreementRecordRow:
    base, vendor = ctx.base_url, negotiation.vendor
    record_id = secrets.token_urlsafe(16)
    sequence = rows.next_sequence(conn, ctx.id, negotiation.request_id)
    second_party: dict[str, Any] = {
        "type": ENTITY,
        "id": negotiation.vendor_id,
        "name": vendor.get("name", ""),
        "verified": bool(vendor.get("verified")),
        "agent": {"type": ENTITY_AGENT, "id": negotiation.vendor_id},
    }
    if vendor.get("homepage"):
        second_party["homepage"] = vendor["homepage"]
    claims = {
        "iss": base,
        "aud": negotiation.vendor_id,
        "iat": int(at.timestamp()),
        "jti": record_id,
        "type": P7012 + "AgreementInteractionRecord",
        "negotiation": negotiation.request_id,
        "sequence": sequence,
        "interaction": interaction,
        "status": status,
        "time": at.isoformat(),
        "actor": actor,
        "first_party": {"type": PERSON, "id": base, "agent": {"type": PERSON_AGENT, "id": base}},
        "second_party": second_party,
        "registry": {"type": P7012 + "AgreementRegistry", "name": ROSTER, "standard": STANDARD},
        "agreement": roster()[agreement_id].reference() if agreement_id else None,
        **(facts or {"proffered": agreement_id}),
        "context": {
            "access_request": negotiation.request_id,
            "status_url": f"{base}/access-requests/{negotiation.request_id}",
            "purpose": negotiation.purpose,
            "scopes": negotiation.scopes,
            **(context or {}),
        },
    }
    row = rows.AgreementRecordRow(
        id=record_id,
        request_id=negotiation.request_id,
        sequence=sequence,
        interaction=interaction,
        vendor_id=negotiation.vendor_id,
        agreement=agreement_id,
        status=status,
        at=at,
        signed=ctx.keys.sign(claims, RECORD_TYP, key),
        vendor_signed=vendor_signed,
    )
    rows.add(conn, ctx.id, row)
    return row


# -- the use cases -------------------------------------------------------------------------------


class Agreements:
    """The customer's agreement, the records of every negotiation, and late answers."""

    def __init__(self, ctx: PodContext):
        self.ctx = ctx

    def preferred(self) -> Agreement:
        """The agreement the customer proffers to every vendor."""
        with self.ctx.store.read() as conn:
            return roster()[preferred_id(pods.get(conn, self.ctx.id).settings)]

    def choose(self, agreement_id: Any) -> Agreement:
        """Proffer another roster agreement from now on; requests already answered keep the
        one they answered."""
        chosen = on_roster(agreement_id, "agreement")
        with self.ctx.store.begin() as conn:
            settings = dict(pods.lock(conn, self.ctx.id).settings)
            settings["agreement"] = chosen
            pods.update(conn, self.ctx.id, settings=settings)
            self.ctx.record(
                conn, OWNER, Action.TERMS_UPDATE, Outcome.OK, detail={"agreement": chosen}
            )
        return roster()[chosen]

    def records(self, request_id: str | None = None, limit: int = 200) -> list[AgreementRecord]:
        """The records of one request in order, or the pod's latest, newest first."""
        with self.ctx.store.read() as conn:
            if request_id is None:
                found = rows.latest(conn, self.ctx.id, limit)
            elif is_id(request_id):
                found = rows.of_request(conn, self.ctx.id, request_id)
            else:
                found = []
        return [AgreementRecord.from_row(r) for r in found]

    def answer(self, request_id: str, signed: str) -> AgreementAnswer:
        """A vendor's answer sent after its request (`pds-agreement-answer+jwt`, signed by the
        key that made the request): accepted once, while the request is pending and has no
        answer yet. A second answer is a second round, refused."""
        if len(signed) > MAX_ANSWER_BYTES:
            raise InvalidInput(f"an agreement answer is at most {MAX_ANSWER_BYTES} bytes")
        verified = jose.verify_self_signed(signed, ANSWER_TYP, "the agreement answer")
        claims = verified.claims
        status_url = f"{self.ctx.base_url}/access-requests/{request_id}"
        for name in ("aud", "iat", "exp", "jti"):
            if name not in claims:
                raise InvalidInput(f"the answer's claims are invalid: {name!r} is required")
        if claims["aud"] != status_url:
            raise InvalidInput(f"the answer's aud must be the request's status URL, {status_url}")
        check_lifetime(claims, self.ctx.clock().timestamp(), MAX_ANSWER_LIFETIME, "answer")
        if not is_text(claims["jti"]) or not claims["jti"]:
            raise InvalidInput("the answer's jti must be a non-empty string")
        not_yours = RequestNotFound("there is no access request here for your key")
        if not is_id(request_id):
            raise not_yours
        key = self.ctx.keys.active  # loaded before the transaction, not in it
        with self.ctx.store.begin() as conn:
            try:
                request = request_rows.get(conn, self.ctx.id, request_id)
            except NotFound:
                raise not_yours from None
            if not secrets.compare_digest(request.vendor_id, verified.thumbprint):
                raise not_yours
            if request.agreement is not None:
                raise InvalidInput(
                    "the one-round rule: this request already has your answer "
                    f"({_said(AgreementAnswer.from_json(request.agreement))}); to negotiate "
                    "again, make a new access request"
                )
            if request.status != "pending":
                raise AlreadyDecided(f"this request was already {request.status}")
            if claims.get("agreement") is None:
                raise InvalidInput("the answer's agreement claim is required")
            settings = pods.get(conn, self.ctx.id).settings
            accepts = request.vendor.get("agreements_accepted")
            answer = parse_answer(claims["agreement"], preferred_id(settings), accepts)
            if not request_rows.set_agreement(conn, self.ctx.id, request_id, answer.to_json()):
                raise InvalidInput("the one-round rule: this request was answered meanwhile")
            negotiation = Negotiation(
                request.id, request.vendor_id, request.vendor, request.purpose, request.scopes
            )
            record_submission(self.ctx, conn, key, negotiation, answer, signed)
        return answer


def _said(answer: AgreementAnswer | None) -> str:
    if answer is None:
        return "none"
    if answer.answer == ALTERNATIVE:
        return f"alternative {answer.alternative}"
    return "reject" if answer.answer == REJECT else f"accept {answer.proffered}"
