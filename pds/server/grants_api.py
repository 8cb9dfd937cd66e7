"""The vendor side of the grant protocol: ask for access, learn the decision, give back.

Vendors authenticate with DPoP proofs made by their own key; there are no vendor accounts.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, json, request

from pds.consent import VendorCall
from pds.consent.grants import STATUS_LIST_PATH
from pds.consent.keys import JWKS_MAX_AGE
from pds.server import metrics
from pds.server.agreements_api import vendor_view
from pds.server.current import current_pod
from pds.server.http import public_url, read_compact_jws

bp = Blueprint("grants", __name__)

SIGNED_LIST = "application/vc+jwt"  # the status list as a JWS (§9.3)


@bp.post("/access-requests")
def submit_request():
    signed = read_compact_jws("access request", "malformed-request")
    pod = current_pod()
    access_request = pod.requests.submit(signed, client_address=request.remote_addr)
    status_url = f"{pod.base_url}/access-requests/{access_request.id}"
    body = {
        "id": access_request.id,
        "status": access_request.status,
        "status_url": status_url,
        "vendor_id": access_request.vendor_id,
    }
    return body, 202, {"Location": status_url}


@bp.get("/access-requests")
def vendor_requests():
    """The requests for the key that signed the proof, newest first, with their status URLs:
    how a vendor without a callback finds a grant the customer gave it (a share)."""
    pod = current_pod()
    vendor_id = pod.vendor_data.prove_key(
        request.headers.get("DPoP"), method=request.method, url=public_url()
    )
    listed = [
        {
            "id": r.id,
            "status": r.status,
            "status_url": f"{pod.base_url}/access-requests/{r.id}",
            "created_at": r.created_at.isoformat(),
        }
        for r in pod.requests.of_vendor(vendor_id)
    ]
    return {"access_requests": listed}, 200, {"Cache-Control": "no-store"}


@bp.get("/access-requests/<request_id>")
def request_status(request_id: str):
    pod = current_pod()
    vendor_id = pod.vendor_data.prove_key(
        request.headers.get("DPoP"), method=request.method, url=public_url()
    )
    access_request = pod.requests.for_vendor(request_id, vendor_id)
    body: dict[str, Any] = {
        "id": access_request.id,
        "status": access_request.status,
        "requested_scopes": [s.to_json() for s in access_request.scopes],
        "created_at": access_request.created_at.isoformat(),
        "decided_at": access_request.decided_at.isoformat() if access_request.decided_at else None,
    }
    grant = None
    if access_request.status == "approved" and access_request.grant_id:
        grant = pod.grants.get(access_request.grant_id)
        body.update(
            grant_id=grant.id,
            grant=grant.token,
            receipt=grant.receipt,
            scopes=[s.to_json() for s in grant.scopes],
            expires_at=grant.expires_at.isoformat(),
            grant_state=grant.state,
        )
        if grant.deletion_requested_at is not None:  # §19: so a vendor that only polls learns it
            done = grant.deletion_acknowledged_at
            body["deletion"] = {
                "requested_at": grant.deletion_requested_at.isoformat(),
                "acknowledged_at": done.isoformat() if done else None,
                "acknowledge_at": f"{pod.base_url}/grants/{grant.id}/deletion",
            }
    if access_request.agreement is not None:  # IEEE 7012: the negotiation and its records
        body["agreement"] = vendor_view(pod, access_request, grant)
    if "domain_checked_at" in access_request.vendor:  # what its domain proof showed (§18)
        vendor = access_request.vendor
        body["domain_proof"] = {
            "domain": vendor.get("domain"),
            "verified": bool(vendor.get("verified")),
            "problem": vendor.get("domain_problem"),
        }
    retry = {"Retry-After": "5"} if access_request.status == "pending" else {}
    return body, 200, {"Cache-Control": "no-store", **retry}


@bp.post("/grants/<grant_id>/return")
def give_back(grant_id: str):
    """A vendor hands a grant back: it ends as if revoked, and the customer sees it returned."""
    pod = current_pod()
    used = pod.vendor_data.authenticate(
        VendorCall(
            authorization=request.headers.get("Authorization"),
            proof=request.headers.get("DPoP"),
            method="POST",
            url=public_url(),
            path=request.path,
        )
    )
    grant = pod.grants.give_back(used, grant_id)
    metrics.grant_revoked("vendor")  # only an active grant authenticates: this one ended now
    return {"id": grant.id, "state": grant.state, "vendor_id": used.vendor_id}


@bp.get(STATUS_LIST_PATH)
def status_list():
    grants = current_pod().grants
    headers = {"Cache-Control": "no-cache", "Vary": "Accept"}
    if _wants_signed_status_list():
        return Response(grants.signed_status_list(), mimetype=SIGNED_LIST, headers=headers)
    return Response(
        json.dumps(grants.status_list()), mimetype="application/vc+ld+json", headers=headers
    )


def _wants_signed_status_list() -> bool:
    """§9.3: the signed form when `Accept` names it, at a quality no lower than the JSON forms'.

    Named, not reached through `*/*`: a client that accepts anything gets the plain JSON.
    """
    accept = request.accept_mimetypes
    if not any(value == SIGNED_LIST for value, _quality in accept):
        return False
    # Listed first, so that it wins a tie of qualities.
    unsigned = ("application/vc+ld+json", "application/json")
    return accept.best_match([SIGNED_LIST, *unsigned]) == SIGNED_LIST


@bp.get("/.well-known/jwks.json")
def jwks():
    return Response(
        json.dumps(current_pod().jwks()),
        mimetype="application/jwk-set+json",
        headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE}"},
    )
