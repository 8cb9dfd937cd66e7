"""Where vendors send offers to a published intent, and follow them (§14)."""

from __future__ import annotations

from flask import Blueprint, request

from pds.server.current import current_pod
from pds.server.http import public_url, read_compact_jws

bp = Blueprint("offers", __name__)

RELAY_REPLY = "PDS-Relay-Reply"  # set by a relay: the reply address the vendor used, at the relay


@bp.post("/replies/<reply_token>")
def submit_offer(reply_token: str):
    signed = read_compact_jws("offer", "malformed-offer")
    pod = current_pod()
    relay_reply = request.headers.get(RELAY_REPLY)
    offer = pod.offers.submit(
        reply_token, signed, client_address=request.remote_addr, relay_reply=relay_reply
    )
    status_url = pod.offers.relayed_status_url(reply_token, offer.id, relay_reply) or (
        f"{pod.intents.reply_url(reply_token)}/offers/{offer.id}"
    )
    body = {"id": offer.id, "status": offer.status, "status_url": status_url}
    return body, 202, {"Location": status_url}


@bp.get("/replies/<reply_token>/offers/<offer_id>")
def offer_status(reply_token: str, offer_id: str):
    """The offer's state for the vendor that made it (DPoP proof by the same key)."""
    pod = current_pod()
    # Through a relay, the vendor signed its proof for the relay's address of this status.
    relayed = pod.offers.relayed_status_url(reply_token, offer_id, request.headers.get(RELAY_REPLY))
    vendor_id = pod.vendor_data.prove_key(
        request.headers.get("DPoP"), method=request.method, url=relayed or public_url()
    )
    offer = pod.offers.for_vendor(reply_token, offer_id, vendor_id)
    body = {
        "id": offer.id,
        "status": offer.status,
        "received_at": offer.received_at.isoformat(),
        "decided_at": offer.decided_at.isoformat() if offer.decided_at else None,
        # Accepted: the grant waits at this access request's status URL (§5), for this key.
        "access_request": (
            f"{pod.base_url}/access-requests/{offer.request_id}" if offer.request_id else None
        ),
    }
    retry = {"Retry-After": "30"} if offer.status in ("received", "shortlisted") else {}
    return body, 200, {"Cache-Control": "no-store", **retry}
