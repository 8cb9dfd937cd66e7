"""IEEE 7012 agreements over HTTP: the roster, a vendor's late answer, the owner's choice and
the signed records of every negotiation (docs/protocol.md §17)."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, json, request

from pds.consent import AccessRequest, Grant, Pod
from pds.consent.agreements import MAX_ANSWER_BYTES, Agreement, roster, roster_document
from pds.server.auth import require_owner
from pds.server.current import current_pod
from pds.server.http import read_compact_jws, read_json

ROSTER_PATH = "/ns/myterms-roster.json"

bp = Blueprint("agreements", __name__)
owner_bp = Blueprint("owner_agreements", __name__, url_prefix="/owner")


def agreement_json(agreement: Agreement) -> dict[str, Any]:
    return dataclasses.asdict(agreement)


def vendor_view(pod: Pod, access_request: AccessRequest, grant: Grant | None) -> dict[str, Any]:
    """What the status URL tells the vendor of its negotiation: its answer, what was agreed,
    and the pod's signed records, the same the customer holds."""
    answer = access_request.agreement
    assert answer is not None
    return {
        **answer.to_json(),
        "agreed": grant.agreement if grant else None,
        "records": [r.signed for r in pod.agreements.records(access_request.id)],
    }


@bp.get(ROSTER_PATH)
def roster_file():
    return Response(
        json.dumps(roster_document(), indent=2),
        mimetype="application/json",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@bp.post("/access-requests/<request_id>/agreement")
def late_answer(request_id: str):
    """A vendor answers the customer's agreement after its request: once, while pending."""
    signed = read_compact_jws("agreement answer", "malformed-request", MAX_ANSWER_BYTES)
    pod = current_pod()
    pod.agreements.answer(request_id, signed)
    access_request = pod.requests.get(request_id)
    body = {
        "id": access_request.id,
        "status": access_request.status,
        "agreement": vendor_view(pod, access_request, None),
    }
    return body, 200, {"Cache-Control": "no-store"}


@owner_bp.before_request
def _owner_only():
    require_owner()


@owner_bp.get("/agreement")
def get_agreement():
    """The agreement the customer proffers, and the roster to choose from."""
    return {
        "agreement": agreement_json(current_pod().agreements.preferred()),
        "roster": [agreement_json(a) for a in roster().values()],
    }


@owner_bp.put("/agreement")
def put_agreement():
    """Proffer another roster agreement: {"agreement": "SD-BASE-A"}."""
    chosen = current_pod().agreements.choose(read_json().get("agreement"))
    return {"agreement": agreement_json(chosen)}


@owner_bp.get("/agreement-records")
def agreement_records():
    """Every agreement interaction, newest first, or those of one request (`?request=`)."""
    request_id = request.args.get("request")
    records = current_pod().agreements.records(request_id)
    return {"records": [r.to_json() for r in records]}
