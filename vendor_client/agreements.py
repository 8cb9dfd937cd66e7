"""IEEE 7012 ("MyTerms") agreements from the vendor's side (docs/protocol.md §17).

The customer's pod proffers one agreement of the Customer Commons roster (`SD-BASE`...). You
answer once, in your access request or just after it: `Accept` it, propose ONE `Alternative`
from the roster, or `Reject` it. The customer decides; every step is recorded by the pod as a
signed `AgreementInteractionRecord`, which you fetch and check against the answer you signed:

>>> pending = pod.request_access(..., agreement=Accept("SD-BASE"))      # doctest: +SKIP
>>> grant = pending.wait()                                              # doctest: +SKIP
>>> grant.agreement["id"], [r.interaction for r in grant.agreement_records]  # doctest: +SKIP
('SD-BASE', ['proffer', 'answer', 'decision'])

`myterms_document` builds the document you publish at your homepage's `/.well-known/myterms`
to say which agreements you accept.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from vendor_client.errors import ProtocolError

RECORD_TYP = "pds-agreement-record+jwt"
ANSWER_TYP = "pds-agreement-answer+jwt"
P7012 = "https://w3id.org/dpv/standards/p7012#"
STANDARD = "IEEE 7012-2025"
WELL_KNOWN_PATH = "/.well-known/myterms"


@dataclasses.dataclass(frozen=True)
class Accept:
    """Accept the agreement the customer proffers: its roster id, such as "SD-BASE"."""

    agreement: str

    def claim(self) -> dict[str, Any]:
        return {"accept": self.agreement}


@dataclasses.dataclass(frozen=True)
class Alternative:
    """Propose one other roster agreement instead, such as "SD-BASE-A" (once only)."""

    agreement: str

    def claim(self) -> dict[str, Any]:
        return {"alternative": self.agreement}


@dataclasses.dataclass(frozen=True)
class Reject:
    """Accept no agreement: the customer may still say yes, with their own terms only."""

    def claim(self) -> dict[str, Any]:
        return {"reject": True}


AgreementAnswer = Accept | Alternative | Reject


@dataclasses.dataclass(frozen=True)
class AgreementRecord:
    """One step of the negotiation, as the pod signed it (the signature checked): keep it."""

    id: str
    sequence: int
    interaction: str  # "proffer", "answer" or "decision"
    status: str  # a DPV P7012 negotiation status IRI
    time: dt.datetime
    agreement: str | None  # the roster id the step is about
    agreed: str | None  # for a decision: what the customer agreed to, if anything
    claims: dict[str, Any]
    token: str  # the signed record (compact JWS)


def myterms_document(
    name: str, homepage: str, accepted: Sequence[str], *, contact: str | None = None
) -> dict[str, Any]:
    """The JSON document to serve at `<homepage>/.well-known/myterms`: which roster agreements
    you accept. Send the same list as `agreements_accepted` in your requests' `vendor`."""
    document: dict[str, Any] = {
        "standard": STANDARD,
        "entity": {"name": name, "homepage": homepage},
        "agreements_accepted": list(accepted),
    }
    if contact is not None:
        document["entity"]["contact"] = contact
    return document


def sha256_b64url(text: str) -> str:
    digest = hashlib.sha256(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def check_records(
    verified: Sequence[tuple[str, dict[str, Any]]],
    *,
    pod_url: str,
    vendor_id: str,
    request_id: str,
    signed_answer: str | None = None,
    answer: AgreementAnswer | None = None,
    agreed: str | None = None,
) -> list[AgreementRecord]:
    """The pod's records of one negotiation (each `(token, verified claims)`), checked against
    what we know: this pod and our key as the parties, this request as the context, and, when
    given, the answer we signed (`signed_answer`, `answer`) and the agreement in our grant
    (`agreed`). ProtocolError says what does not match."""
    records = []
    for token, claims in verified:
        where = f"agreement record {claims.get('jti')!r}"
        if claims.get("type") != P7012 + "AgreementInteractionRecord":
            raise ProtocolError(f"{where} is not an AgreementInteractionRecord")
        about = (claims.get("negotiation"), _context(claims).get("access_request"))
        if about != (request_id, request_id):
            raise ProtocolError(f"{where} is about another request than {request_id}")
        if claims.get("first_party", {}).get("id") != pod_url:
            raise ProtocolError(f"{where} names another first party than {pod_url}")
        if claims.get("second_party", {}).get("id") != vendor_id:
            raise ProtocolError(f"{where} names another second party than our key")
        records.append(
            AgreementRecord(
                id=str(claims.get("jti")),
                sequence=int(claims.get("sequence", 0)),
                interaction=str(claims.get("interaction")),
                status=str(claims.get("status")),
                time=dt.datetime.fromisoformat(str(claims.get("time"))),
                agreement=(claims.get("agreement") or {}).get("id"),
                agreed=claims.get("agreed"),
                claims=claims,
                token=token,
            )
        )
    if [r.sequence for r in records] != list(range(1, len(records) + 1)):
        raise ProtocolError("the agreement records are not one complete sequence")
    for record in records:
        if record.interaction == "answer":
            _check_answer(record, signed_answer, answer)
        if record.interaction == "decision" and agreed is not None and record.agreed != agreed:
            raise ProtocolError(f"the pod recorded {record.agreed!r} agreed, the grant {agreed!r}")
    return records


def _check_answer(
    record: AgreementRecord, signed_answer: str | None, answer: AgreementAnswer | None
) -> None:
    if signed_answer is not None and _context(record.claims).get("vendor_signed") != (
        sha256_b64url(signed_answer)
    ):
        raise ProtocolError("the pod's record of our answer is not about the answer we signed")
    if answer is None:
        return
    said = answer.claim()
    move = next(iter(said))
    if record.claims.get("answer") != move:
        raise ProtocolError(f"the pod recorded {record.claims.get('answer')!r}, we said {move}")
    if isinstance(answer, Alternative) and record.claims.get("alternative") != answer.agreement:
        raise ProtocolError("the pod recorded another alternative than ours")
    if isinstance(answer, Accept) and record.claims.get("proffered") != answer.agreement:
        raise ProtocolError("the pod recorded another agreement accepted than ours")


def _context(claims: dict[str, Any]) -> dict[str, Any]:
    context = claims.get("context")
    return context if isinstance(context, dict) else {}
