"""Stop and delete (protocol §19): tell the pod, signed with your key, that you deleted what a
grant let you hold, and keep the pod's signed receipt for it."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import secrets
import time
from typing import TYPE_CHECKING, Any

from vendor_client.errors import ProtocolError

if TYPE_CHECKING:
    from vendor_client.client import PodClient
    from vendor_client.grants import Grant

ACK_TYP = "deletion-ack+jwt"
RECEIPT_TYP = "deletion-receipt+jwt"
MAX_STATEMENT = 500  # characters


@dataclasses.dataclass(frozen=True)
class DeletionReceipt:
    """The pod's signed receipt for your acknowledgement, its signature checked: keep it as
    your proof that you answered the customer's request to delete."""

    token: str  # the compact JWS, as the pod signed it
    claims: dict[str, Any]

    @property
    def grant_id(self) -> str:
        return str(self.claims["sub"])

    @property
    def acknowledged_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.claims["acknowledged_at"], dt.UTC)

    @property
    def requested_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.claims["requested_at"], dt.UTC)


def acknowledgement_claims(
    vendor_id: str, pod_url: str, grant_id: str, statement: str | None = None
) -> dict[str, Any]:
    """The claims of an acknowledgement (§19.3), made now with a fresh `jti`."""
    claims: dict[str, Any] = {
        "iss": vendor_id,
        "aud": pod_url,
        "grant": grant_id,
        "deleted": True,
        "iat": int(time.time()),
        "jti": secrets.token_urlsafe(16),
    }
    if statement is not None:
        if len(statement) > MAX_STATEMENT:
            raise ValueError(f"a statement is at most {MAX_STATEMENT} characters")
        claims["statement"] = statement
    return claims


def acknowledge_deletion(
    client: PodClient, grant: Grant | str, statement: str | None = None
) -> DeletionReceipt:
    """Sign and send the acknowledgement for `grant` (a Grant or its id); verify and return
    the pod's receipt. The pod refuses it (a VendorClientError with the problem) unless the
    customer asked for deletion and this is the first acknowledgement."""
    grant_id = grant if isinstance(grant, str) else grant.id
    claims = acknowledgement_claims(client.vendor_id, client.pod_url, grant_id, statement)
    acknowledgement = client.key.sign(claims, ACK_TYP)
    response = client._call(
        "POST",
        f"{client.pod_url}/grants/{grant_id}/deletion",
        json={"acknowledgement": acknowledgement},
    )
    token = response.json().get("receipt")
    if not isinstance(token, str):
        raise ProtocolError("the pod answered without a deletion receipt", response=response)
    receipt = client.verify_pod_token(token, RECEIPT_TYP)
    sent = base64.urlsafe_b64encode(hashlib.sha256(acknowledgement.encode()).digest())
    if not secrets.compare_digest(str(receipt.get("ack_sha256", "")), sent.rstrip(b"=").decode()):
        raise ProtocolError("the pod's receipt is for another acknowledgement than ours")
    if receipt.get("sub") != grant_id or receipt.get("vendor") != client.vendor_id:
        raise ProtocolError("the pod's receipt names another grant or vendor than ours")
    return DeletionReceipt(token, receipt)
