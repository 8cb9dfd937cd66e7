"""The vendor's side of stop and delete (protocol §19): acknowledge, signed, that it deleted
what an ended grant let it hold, and take the pod's signed receipt for it.

The acknowledgement authenticates itself (it is signed by the key the grant is bound to), so
there is no DPoP proof here; whatever is wrong with it, nothing is written.
"""

from __future__ import annotations

from flask import Blueprint, request

from pds.server.current import current_pod
from pds.server.http import field, read_json
from pds.server.problems import Problem

bp = Blueprint("deletion", __name__)

MAX_BODY_BYTES = 20000  # the JSON around an acknowledgement of at most 16 384 bytes


@bp.post("/grants/<grant_id>/deletion")
def acknowledge(grant_id: str):
    """{"acknowledgement": "<compact JWS>"} -> 201 {"receipt": "<compact JWS>"}."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise Problem(
            413,
            "too-large",
            "Too large",
            f"an acknowledgement's body is at most {MAX_BODY_BYTES} bytes",
        )
    acknowledgement = field(read_json(), "acknowledgement")
    receipt = current_pod().grants.acknowledge_deletion(grant_id, acknowledgement.strip())
    return {"receipt": receipt}, 201, {"Cache-Control": "no-store"}
