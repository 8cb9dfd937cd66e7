"""The owner's side of the grant protocol: decide requests, list, shorten and revoke grants,
ask vendors to delete what ended grants let them hold, terms."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, request

from pds.consent import InvalidInput
from pds.consent.scopes import parse_scopes
from pds.server import metrics
from pds.server.auth import require_owner
from pds.server.current import current_pod
from pds.server.http import read_json
from pds.server.representations import grant_json, request_json

bp = Blueprint("owner_grants", __name__, url_prefix="/owner")
STATUSES = ("pending", "approved", "denied")


@bp.before_request
def _owner_only():
    require_owner()


@bp.get("/access-requests")
def list_requests():
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status is one of {', '.join(STATUSES)}")
    return {"requests": [request_json(r) for r in current_pod().requests.list(status)]}


@bp.get("/access-requests/<request_id>")
def get_request(request_id: str):
    return request_json(current_pod().requests.get(request_id))


@bp.post("/access-requests/<request_id>/approve")
def approve(request_id: str):
    """Approve as asked (empty body) or narrower: {"scopes": [...], "duration_seconds": n},
    with the customer's agreement or the vendor's alternative: {"agreement": "SD-BASE-A"}."""
    data = read_json() if _has_body() else {}
    scopes = parse_scopes(data["scopes"]) if data.get("scopes") is not None else None
    grant = current_pod().decisions.approve(
        request_id,
        scopes=scopes,
        duration_seconds=data.get("duration_seconds"),
        agreement=data.get("agreement"),
    )
    metrics.grant_issued("request")
    return grant_json(grant), 201


@bp.post("/access-requests/<request_id>/deny")
def deny(request_id: str):
    return request_json(current_pod().decisions.deny(request_id))


@bp.get("/grants")
def list_grants():
    vendor = request.args.get("vendor")
    return {"grants": [grant_json(g) for g in current_pod().grants.list(vendor)]}


@bp.get("/grants/<grant_id>")
def get_grant(grant_id: str):
    return grant_json(current_pod().grants.get(grant_id))


@bp.post("/grants/<grant_id>/revoke")
def revoke(grant_id: str):
    """Revoke; with {"ask_deletion": true} also ask the vendor to delete what it holds."""
    data = read_json() if _has_body() else {}
    ask_deletion = data.get("ask_deletion", False)
    if not isinstance(ask_deletion, bool):
        raise InvalidInput("ask_deletion is true or false")
    grants = current_pod().grants
    was_active = grants.get(grant_id).revoked_at is None  # revoking again changes nothing
    grant = grants.revoke(grant_id, ask_deletion=ask_deletion)
    if was_active:
        metrics.grant_revoked("owner")
    return grant_json(grant)


@bp.post("/grants/<grant_id>/shorten")
def shorten(grant_id: str):
    """End an active grant earlier: {"until": RFC 3339 time} or {"days": n} from now."""
    data = read_json()
    pod = current_pod()
    return grant_json(pod.grants.shorten(grant_id, _new_end(data, pod.now())))


@bp.post("/grants/<grant_id>/ask-deletion")
def ask_deletion(grant_id: str):
    """Ask the vendor to delete what an ended grant let it hold (asking again changes nothing)."""
    return grant_json(current_pod().grants.ask_deletion(grant_id))


def _has_body() -> bool:
    # Any declared body counts (chunked ones too): ignoring a narrowing would grant more.
    return bool(
        request.content_length or request.content_type or "Transfer-Encoding" in request.headers
    )


MAX_DAYS = 366  # no grant lasts longer


def _new_end(data: dict, now: dt.datetime) -> dt.datetime:
    """The end a shortening asks for: exactly one of `until` (with an offset) and `days`."""
    if ("until" in data) == ("days" in data):
        raise InvalidInput('send either "until" (an RFC 3339 time) or "days" (a whole number)')
    if "days" in data:
        days = data["days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise InvalidInput(f"days is a whole number from 1 to {MAX_DAYS}")
        return now + dt.timedelta(days=days)
    until = data["until"]
    try:
        moment = dt.datetime.fromisoformat(until) if isinstance(until, str) else None
        if moment is not None and moment.tzinfo is not None:
            moment.astimezone(dt.UTC)  # OverflowError beyond what a clock can hold
    except (ValueError, OverflowError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput("until is an RFC 3339 time with an offset, as 2026-12-24T18:00:00+01:00")
    return moment


@bp.get("/grants/<grant_id>/receipt")
def receipt(grant_id: str):
    """The signed consent receipt: as JWS (`Accept: application/jwt`) or its JSON payload."""
    grant = current_pod().grants.get(grant_id)
    if request.accept_mimetypes.best_match(["application/json", "application/jwt"]) == (
        "application/jwt"
    ):
        return Response(
            grant.receipt,
            mimetype="application/jwt",
            headers={"Content-Disposition": f'attachment; filename="receipt-{grant.id}.jwt"'},
        )
    return {"receipt": grant.receipt_claims(), "jws": grant.receipt}


@bp.get("/terms")
def get_terms():
    return {"terms": current_pod().terms.current()}


@bp.put("/terms")
def put_terms():
    return {"terms": current_pod().terms.replace(read_json().get("terms"))}
