"""The customer's terms as IEEE 7012-2025 ("MyTerms") agreements.

The customer proffers one agreement of the published roster (Customer Commons' list: no id is
ever made up here), `SD-BASE` unless they chose another. A vendor answers once, in its access
request or just after it: it accepts the proffered agreement, proposes ONE alternative from the
roster, or rejects. Nothing else, and no second round: that is the standard's bounded
negotiation. The customer then decides, with their own agreement or the vendor's alternative.

Each step (the proffer, the vendor's answer, the customer's decision) is an agreement
interaction, recorded as a DPV P7012 `AgreementInteractionRecord` the pod signs like a receipt.
The vendor fetches the same signed records and holds its own signed answer beside them, so the
two sides keep matching records (parties, agreement, time, context), which either can audit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import jwt
import sqlalchemy as sa

from pds.consent import jose
from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.context import PodContext
from pds.consent.errors import AlreadyDecided, InvalidInput, RequestNotFound
from pds.consent.inputs import check_lifetime, is_id, is_text
from pds.consent.keys import SigningKey
from pds.store import NotFound, pods
from pds.store import agreement_records as rows
from pds.store import requests as request_rows

ROSTER_FILE = "myterms-roster.json"
P7012 = "https://w3id.org/dpv/standards/p7012#"
STANDARD, ROSTER = "IEEE 7012-2025", "Customer Commons"
DEFAULT_AGREEMENT = "SD-BASE"
RECORD_TYP = "pds-agreement-record+jwt"
ANSWER_TYP = "pds-agreement-answer+jwt"
ACCEPT, ALTERNATIVE, REJECT = "accept", "alternative", "reject"
PROFFER, ANSWER, DECISION = "proffer", "answer", "decision"
MAX_ANSWER_BYTES = 16384
MAX_ANSWER_LIFETIME = 600  # as for access requests: used within 10 minutes of iat

# The DPV P7012 negotiation status each interaction leaves the negotiation in.
PROFFERED = P7012 + "AgreementNegotiationInitiated"
ANSWERED = {
    ACCEPT: P7012 + "AgreementNegotiationConfirmationRequired",  # the customer still confirms
    ALTERNATIVE: P7012 + "AgreementNegotiationCounterOfferMade",
    REJECT: P7012 + "AgreementNegotiationRefused",
}
AGREED, REFUSED = P7012 + "AgreementAccepted", P7012 + "AgreementRefused"
PERSON, PERSON_AGENT = P7012 + "Person", P7012 + "PersonAgent"
ENTITY, ENTITY_AGENT = P7012 + "Entity", P7012 + "EntityAgent"


# -- the roster ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Agreement:
    """One agreement of the roster, with the plain words the customer reads."""

    id: str
    family: str  # "service" (SD-BASE and its variants) or "contribution" (PDC-*)
    title: str
    summary: str
    loosens: tuple[str, ...]  # what it allows that SD-BASE does not
    adds: tuple[str, ...]  # what it requires beyond SD-BASE
    iri: str  # the DPV P7012 concept if DPV names the agreement, else its URL
    dpv: str  # the closest DPV P7012 concept
    url: str  # https://myterms.info/agreements/<ID> (unconfirmed, see the roster file)

    def reference(self) -> dict[str, str]:
        """How grants, receipts, records and intents name the agreement."""
        return {
            "id": self.id,
            "title": self.title,
            "iri": self.iri,
            "url": self.url,
            "standard": STANDARD,
            "roster": ROSTER,
        }


@cache
def roster_document() -> dict[str, Any]:
    """The roster file as the pod serves it (`/ns/myterms-roster.json`). Shared: do not mutate."""
    text = resources.files("pds.schemas").joinpath(ROSTER_FILE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@cache
def roster() -> dict[str, Agreement]:
    """Roster id -> agreement, in the roster's order."""
    out = {}
    for entry in roster_document()["agreements"]:
        out[entry["id"]] = Agreement(
            id=entry["id"],
            family=entry["family"],
            title=entry["title"],
            summary=entry["summary"],
            loosens=tuple(entry["loosens"]),
            adds=tuple(entry["adds"]),
            iri=entry["iri"],
            dpv=entry["dpv"],
            url=entry["url"],
        )
    return out


def on_roster(value: Any, what: str) -> str:
    """`value` if it is a roster id; InvalidInput naming `what` otherwise."""
    if not isinstance(value, str) or value not in roster():
        raise InvalidInput(
            f"{what} {value!r} is not an IEEE 7012 agreement of the roster: use one of "
            + ", ".join(roster())
        )
    return value


def accepted_list(raw: Any) -> list[str]:
    """A vendor's `agreements_accepted`: the roster agreements it accepts, each once."""
    if not isinstance(raw, list) or not 0 < len(raw) <= len(roster()):
        raise InvalidInput(
            "vendor agreements_accepted is a list of the roster agreements the vendor accepts"
        )
    accepted = [on_roster(value, "vendor agreements_accepted lists") for value in raw]
    if len(set(accepted)) != len(accepted):
        raise InvalidInput("vendor agreements_accepted lists an agreement twice")
    return accepted


def preferred_id(pod_settings: dict[str, Any]) -> str:
    """The agreement the customer proffers: the one they chose, SD-BASE by default."""
    chosen = pod_settings.get("agreement")
    return chosen if isinstance(chosen, str) and chosen in roster() else DEFAULT_AGREEMENT


# -- the vendor's one answer ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AgreementAnswer:
    """A vendor's answer to the agreement the customer proffered (one round only)."""

    proffered: str  # the customer's agreement when the vendor answered
    answer: str  # ACCEPT, ALTERNATIVE or REJECT
    alternative: str | None = None  # the vendor's one alternative

    @property
    def choices(self) -> tuple[str, ...]:
        """What the customer may agree to: their own agreement, or the vendor's alternative."""
        if self.answer == ACCEPT:
            return (self.proffered,)
        if self.answer == ALTERNATIVE and self.alternative is not None:
            return (self.proffered, self.alternative)
        return ()

    def to_json(self) -> dict[str, Any]:
        return {"proffered": self.proffered, "answer": self.answer, "alternative": self.alternative}

    @classmethod
    def from_json(cls, raw: Any) -> AgreementAnswer | None:
        if not isinstance(raw, dict):
            return None
        return cls(raw["proffered"], raw["answer"], raw.get("alternative"))


def parse_answer(
    raw: Any, proffered: str, vendor_accepts: Sequence[str] | None = None
) -> AgreementAnswer:
    """The vendor's `agreement` claim, held to the one-round rule: exactly one of
    `{"accept": <the proffered id>}`, `{"alternative": <one other roster id>}` or
    `{"reject": true}`, optionally with `"proffered"` naming the agreement it answers.
    InvalidInput says what is wrong."""
    shape = '{"accept": "<id>"}, {"alternative": "<id>"} or {"reject": true}'
    if not isinstance(raw, dict):
        raise InvalidInput(f"agreement is one of {shape}")
    unknown = sorted(set(raw) - {ACCEPT, ALTERNATIVE, REJECT, "proffered"})
    if unknown:
        raise InvalidInput(f"agreement has unknown member(s) {', '.join(unknown)}: it is {shape}")
    moves = [move for move in (ACCEPT, ALTERNATIVE, REJECT) if move in raw]
    if len(moves) != 1:
        raise InvalidInput(
            "the one-round rule: an agreement answer is exactly one of accept, alternative "
            "or reject"
        )
    if "proffered" in raw and raw["proffered"] != proffered:
        raise InvalidInput(
            f"the customer proffers {proffered}, not {raw['proffered']!r}: read the pod's "
            "configuration again"
        )
    move, value = moves[0], raw[moves[0]]
    if move == REJECT:
        if value is not True:
            raise InvalidInput('to reject the customer\'s agreement, send {"reject": true}')
        return AgreementAnswer(proffered, REJECT)
    if isinstance(value, list):
        raise InvalidInput(
            f"the one-round rule: {move} names one agreement, not a list; propose at most "
            "one alternative"
        )
    chosen = on_roster(value, f"agreement {move}")
    if move == ACCEPT and chosen != proffered:
        raise InvalidInput(
            f"the customer proffers {proffered}: accept it, or propose {chosen} as your one "
            "alternative"
        )
    if move == ALTERNATIVE and chosen == proffered:
        raise InvalidInput(
            f"{chosen} is the agreement the customer proffers: accept it rather than propose "
            "it as an alternative"
        )
    if vendor_accepts is not None and chosen not in vendor_accepts:
        raise InvalidInput(f"your agreements_accepted does not list {chosen}")
    return AgreementAnswer(proffered, move, chosen if move == ALTERNATIVE else None)


def answer_in(
    claims: dict[str, Any], pod_settings: dict[str, Any], vendor: dict[str, Any]
) -> AgreementAnswer | None:
    """The answer an access request carries, if any (None: the vendor did not say)."""
    if claims.get("agreement") is None:
        return None
    accepts = vendor.get("agreements_accepted")
    return parse_answer(claims["agreement"], preferred_id(pod_settings), accepts)


def agreed_on(answer: AgreementAnswer | None, chosen: Any) -> str | None:
    """The agreement the customer approves a request with: `chosen` among the answer's
    choices, or by default their own; None when the vendor agreed to nothing."""
    if answer is None or not answer.choices:
        if chosen not in (None, ""):
            raise InvalidInput(
                "the vendor did not accept your agreement nor propose another: there is no "
                "agreement to choose"
            )
        return None
    if chosen in (None, ""):
        return answer.proffered
    if chosen not in answer.choices:
        raise InvalidInput(
            f"choose {' or '.join(answer.choices)}: the agreement you proffered, or the "
            "vendor's alternative"
        )
    return str(chosen)


def agreement_reference(
    agreed: str | None, decision: rows.AgreementRecordRow | None
) -> dict[str, str] | None:
    """How a grant and its receipt name the agreement agreed on, and the signed decision."""
    if agreed is None:
        return None
    reference = roster()[agreed].reference()
    return {**reference, "record": decision.id} if decision else reference


# -- signed records ------------------------------------------------------------------------------


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
) -> rows.AgreementRecordRow | None:
    """In the caller's transaction: the customer's decision on a request the vendor answered
    (None if it did not: there was no negotiation to record)."""
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
        context={"access": access, "grant": grant_id},
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
