"""The customer's terms as IEEE 7012-2025 ("MyTerms") agreements.

The customer proffers one agreement of the published roster (Customer Commons' list: no id is
ever made up here), `SD-BASE` unless they chose another. A vendor answers once, in its access
request or just after it: it accepts the proffered agreement, proposes ONE alternative from the
roster, or rejects. Nothing else, and no second round: that is the standard's bounded
negotiation. The customer then decides, with their own agreement or the vendor's alternative.

Here: the roster, the customer's choice and the vendor's answer held to that rule. Each step is
recorded and signed in `pds.consent.agreement_records`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from pds.consent.errors import InvalidInput
from pds.store import agreement_records as rows

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
