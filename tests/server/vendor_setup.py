"""What the hostile-vendor tests share: a vendor with a grant, and tokens made by hand.

Also what every refusal must look like: a DPoP challenge, a problem+json body, none of the
customer's data, nothing stored changed and one refusal in the audit log.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ed25519

from pds.store import resources
from vendor_client import Grant, PodClient, VendorKey

SCHEMA = "https://schema.org/"
EMAIL = SCHEMA + "email"
PURPOSE = "https://w3id.org/dpv#ServiceProvision"
GRANT_TYP, PROOF_TYP, REQUEST_TYP = "pds-grant+jwt", "dpop+jwt", "pds-access-request+jwt"
INTENT = "/intents/small-car"  # the sample intent (a small car)
TURTLE = {"Content-Type": "text/turtle"}
RECORD = '<#it> <https://schema.org/name> "Forged" .'
OTHER_VENDOR = "W" * 43  # a well-formed vendor id (43 base64url characters), not ours
# Values of the sample profile and preferences that no refused request may show.
CUSTOMER_DATA = (
    "alex@example.org",
    "alex.example@example.org",
    "Alex Example",
    "+44 20 7946 0958",
    "1 Example Street",
    "1990-04-23",
    "cycling",
    "vegetarian",
    "EU 42",
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value) -> str:
    return b64url(json.dumps(value).encode())


def sha256_b64url(text: str) -> str:
    return b64url(hashlib.sha256(text.encode()).digest())


# -- a vendor with a grant ---------------------------------------------------------------------


@dataclasses.dataclass
class Vendor:
    private_key: ed25519.Ed25519PrivateKey
    key: VendorKey
    client: PodClient
    grant: Grant | None = None

    @property
    def id(self) -> str:
        return self.key.thumbprint


def new_vendor(server) -> Vendor:
    private_key = ed25519.Ed25519PrivateKey.generate()
    key = VendorKey(private_key)
    return Vendor(private_key, key, PodClient(server.url, key))


def granted(server, owner, vendor: Vendor, scopes: list[dict]) -> Vendor:
    pending = vendor.client.request_access(
        scopes,
        purpose=PURPOSE,
        description="to test what a vendor cannot do",
        duration=dt.timedelta(days=1),
        vendor={"name": "Hostile Shop"},
    )
    approved = owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve")
    assert approved.status_code == 201, approved.text
    vendor.grant = pending.wait(timeout=5)
    return vendor


# -- proofs, grants and requests made by hand --------------------------------------------------


def proof_claims(vendor: Vendor, method: str, url: str, token: str | None = None) -> dict:
    return {
        "htm": method,
        "htu": url,
        "iat": int(time.time()),
        "jti": secrets.token_urlsafe(16),
        "ath": sha256_b64url(token or vendor.grant.token),
    }


def proof(
    vendor: Vendor,
    method: str,
    url: str,
    token: str | None = None,
    *,
    signer: ed25519.Ed25519PrivateKey | None = None,
    header: dict | None = None,
    drop: tuple[str, ...] = (),
    **claims,
) -> str:
    """A DPoP proof with the vendor's key; keyword arguments change or add claims."""
    body = {**proof_claims(vendor, method, url, token), **claims}
    for name in drop:
        body.pop(name)
    headers = {"typ": PROOF_TYP, "jwk": vendor.key.public_jwk, **(header or {})}
    return jwt.encode(body, signer or vendor.private_key, algorithm="EdDSA", headers=headers)


def unsigned(header: dict, claims: dict) -> str:
    return f"{b64json(header)}.{b64json(claims)}."


def mac_signed(header: dict, claims: dict, secret: bytes) -> str:
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def grant_claims(vendor: Vendor) -> dict:
    return jwt.decode(vendor.grant.token, options={"verify_signature": False})


def pod_signed(server, claims: dict, *, signer=None, header: dict | None = None) -> str:
    """A token signed with the pod's own key (or `signer` under the pod's kid)."""
    active = server.pod.ctx.keys.active
    headers = {"kid": active.kid, "typ": GRANT_TYP, **(header or {})}
    return jwt.encode(claims, signer or active.private_key, algorithm="EdDSA", headers=headers)


def data_request(
    method: str, url: str, token: str, dpop: str | None, **kwargs
) -> requests.Response:
    headers = {"Authorization": f"DPoP {token}", "DPoP": dpop, **kwargs.pop("headers", {})}
    return requests.request(method, url, headers=headers, timeout=10, **kwargs)


# -- what every refusal must look like ---------------------------------------------------------


def stored(server) -> list[resources.ResourceRow]:
    with server.store.read() as conn:
        return resources.all_rows(conn, server.pod.id)


def refusals(server, owner) -> list[dict]:
    events = owner.get(f"{server.url}/owner/audit", params={"outcome": "refused"}).json()
    return [e for e in events["events"] if e["action"].startswith("data.")]


def audited_refusal(
    server, owner, send: Callable[[], requests.Response], *, path: str, action: str = "data.read"
) -> requests.Response:
    """Send a request that must be refused: nothing stored changes and one refusal is audited."""
    rows_before = stored(server)
    audited_before = len(refusals(server, owner))
    response = send()
    assert stored(server) == rows_before, "a refused request changed the stored data"
    events = refusals(server, owner)
    assert len(events) == audited_before + 1, "the refusal was not audited exactly once"
    assert (events[0]["action"], events[0]["resource"]) == (action, path)
    assert events[0]["detail"]["reason"] == response.json()["detail"]
    return response


def assert_refused(
    response: requests.Response, status: int, error: str, problem: str, says: str
) -> dict:
    assert response.status_code == status, response.text
    challenge = response.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("DPoP "), challenge
    assert f'error="{error}"' in challenge, challenge
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"https://w3id.org/vrm-pod/problems#{problem}", body
    assert body["status"] == status
    assert says in body["detail"], body["detail"]
    assert_no_customer_data(response.text)
    return body


def assert_no_customer_data(text: str) -> None:
    shown = [value for value in CUSTOMER_DATA if value in text]
    assert not shown, f"the response shows the customer's data: {shown}"
