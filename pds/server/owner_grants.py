"""The owner's side of the grant protocol: decide requests, list and revoke grants, terms."""

from __future__ import annotations

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
    # Any declared body counts (chunked ones too): ignoring a narrowing would grant more.
    has_body = (
        request.content_length or request.content_type or "Transfer-Encoding" in request.headers
    )
    data = read_json() if has_body else {}
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
    grants = current_pod().grants
    was_active = grants.get(grant_id).revoked_at is None  # revoking again changes nothing
    grant = grants.revoke(grant_id)
    if was_active:
        metrics.grant_revoked("owner")
    return grant_json(grant)


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
