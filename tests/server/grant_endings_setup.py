"""What the tests of grant endings share: a vendor's notices, its reads, the stored grant, the
audit, problems, and the vendor's deletion acknowledgement made by hand (protocol §19)."""

from __future__ import annotations

import secrets
import time

import jwt
import requests

from pds.store import grants as grant_rows
from tests.relay.relay_setup import Receiver
from tests.server.records_setup import wait_for
from tests.server.vendor_setup import EMAIL, Vendor, data_request, proof

ACK_TYP = "deletion-ack+jwt"
PROBLEMS = "https://w3id.org/vrm-pod/problems#"
READ_EMAIL = [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}]


def told(server, listening: Receiver, vendor: Vendor, count: int) -> list[dict]:
    """The first `count` notifications the vendor received, each verified with the pod's key."""
    wait_for(lambda: len(listening.notices) >= count)
    return [vendor.client.verify_notification(n.body) for n in listening.notices[:count]]


def read_email(server, vendor: Vendor) -> requests.Response:
    url = f"{server.url}/data/profile"
    return data_request("GET", url, vendor.grant.token, proof(vendor, "GET", url))


def stored_grant(server, grant_id: str) -> grant_rows.GrantRow:
    with server.store.read() as conn:
        return grant_rows.get(conn, server.pod.id, grant_id)


def events(server, owner, action: str) -> list[dict]:
    return owner.get(f"{server.url}/owner/audit", params={"action": action}).json()["events"]


def assert_problem(response: requests.Response, status: int, slug: str, says: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["type"], body["status"]) == (PROBLEMS + slug, status), body
    assert says in body["detail"], body["detail"]


def acknowledgement(
    vendor: Vendor, server, *, signer=None, header: dict | None = None, drop=(), **claims
) -> str:
    """The vendor's acknowledgement of its grant's deletion; keywords change or add claims."""
    body = {
        "iss": vendor.id,
        "aud": server.url,
        "grant": vendor.grant.id,
        "deleted": True,
        "iat": int(time.time()),
        "jti": secrets.token_urlsafe(16),
        **claims,
    }
    for name in drop:
        body.pop(name)
    headers = {"typ": ACK_TYP, **(header or {})}
    return jwt.encode(body, signer or vendor.private_key, algorithm="EdDSA", headers=headers)


def send(server, grant_id: str, token: str) -> requests.Response:
    url = f"{server.url}/grants/{grant_id}/deletion"
    return requests.post(url, json={"acknowledgement": token}, timeout=10)
