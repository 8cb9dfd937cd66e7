"""A hostile vendor against the live pod, on both backends.

Every trick must be refused with a DPoP challenge and a problem+json body that says why, show
none of the customer's data, leave every stored document as it was, and (for data requests)
be written to the audit log as refused.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import http.client
import json
import secrets
import time
import urllib.parse
from collections.abc import Callable

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from pds import schemas
from pds.store import resources
from vendor_client import Grant, PodClient, VendorKey, make_proof

SCHEMA = "https://schema.org/"
EMAIL = SCHEMA + "email"
PURPOSE = "https://w3id.org/dpv#ServiceProvision"
GRANT_TYP, PROOF_TYP, REQUEST_TYP = "pds-grant+jwt", "dpop+jwt", "pds-access-request+jwt"
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


@pytest.fixture
def customer_data(server, owner) -> None:
    for path in ("/profile", "/preferences"):
        sample = schemas.sample_documents()[path]
        response = owner.put(f"{server.url}/data{path}", data=sample.encode(), headers=TURTLE)
        assert response.status_code == 201, response.text


@pytest.fixture
def reader(server, owner, customer_data) -> Vendor:
    """A vendor allowed to read the email addresses of the profile, and nothing else."""
    scopes = [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}]
    return granted(server, owner, new_vendor(server), scopes)


@pytest.fixture
def appender(server, owner, customer_data) -> Vendor:
    """A vendor allowed to read and append in its own container, with one record there."""
    vendor = new_vendor(server)
    own = f"/vendors/{vendor.id}/"
    granted(server, owner, vendor, [{"resource": own, "modes": ["read", "append"]}])
    vendor.client.append(
        own, '<#it> <https://schema.org/name> "Receipt 1" .', vendor.grant, slug="r1"
    )
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
    active = server.services.consent.keys.active
    headers = {"kid": active.kid, "typ": GRANT_TYP, **(header or {})}
    return jwt.encode(claims, signer or active.private_key, algorithm="EdDSA", headers=headers)


def data_request(
    method: str, url: str, token: str, dpop: str | None, **kwargs
) -> requests.Response:
    headers = {"Authorization": f"DPoP {token}", "DPoP": dpop, **kwargs.pop("headers", {})}
    return requests.request(method, url, headers=headers, timeout=10, **kwargs)


# -- what every refusal must look like ---------------------------------------------------------


def stored(server) -> list[resources.ResourceRow]:
    with server.services.store.read() as conn:
        return resources.all_rows(conn, server.services.pod.id)


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


# -- DPoP proofs -------------------------------------------------------------------------------


def test_a_replayed_proof_is_refused_the_second_time(server, owner, reader):
    url = f"{server.url}/data/profile"
    once = make_proof(reader.key, "GET", url, reader.grant.token)
    first = data_request("GET", url, reader.grant.token, once)
    assert first.status_code == 200, first.text
    assert "alex@example.org" in first.text

    again = audited_refusal(
        server, owner, lambda: data_request("GET", url, reader.grant.token, once), path="/profile"
    )
    assert_refused(again, 401, "invalid_dpop_proof", "invalid-dpop-proof", "already used")


def signed_by_another_key(vendor: Vendor, url: str) -> str:
    other = ed25519.Ed25519PrivateKey.generate()
    return proof(vendor, "GET", url, signer=other, header={"jwk": VendorKey(other).public_jwk})


def with_private_key_in_jwk(vendor: Vendor, url: str) -> str:
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(vendor.private_key))
    assert "d" in jwk
    return proof(vendor, "GET", url, header={"jwk": jwk})


def with_alg_none(vendor: Vendor, url: str) -> str:
    header = {"typ": PROOF_TYP, "alg": "none", "jwk": vendor.key.public_jwk}
    return unsigned(header, proof_claims(vendor, "GET", url))


def maced_with_the_public_key(vendor: Vendor, url: str) -> str:
    header = {"typ": PROOF_TYP, "alg": "HS256", "jwk": vendor.key.public_jwk}
    secret = vendor.key.public_jwk["x"].encode()
    return mac_signed(header, proof_claims(vendor, "GET", url), secret)


def another_port(url: str) -> str:
    host, _, rest = url.removeprefix("http://").partition("/")
    name, _, port = host.partition(":")
    return f"http://{name}:{int(port) + 1}/{rest}"


PROOF_TRICKS = [
    pytest.param(
        lambda v, url: proof(v, "POST", url),
        "the proof is for 'POST', not this GET request",
        id="proof-for-another-method",
    ),
    pytest.param(
        lambda v, url: proof(v, "get", url),
        "the proof is for 'get'",
        id="proof-method-in-lowercase",
    ),
    pytest.param(
        lambda v, url: proof(v, "GET", url.replace("/data/profile", "/data/preferences")),
        "htu does not match",
        id="proof-for-another-url",
    ),
    pytest.param(
        lambda v, url: proof(v, "GET", url.replace("/data/profile", "/data/profile/")),
        "htu does not match",
        id="proof-for-the-url-with-a-trailing-slash",
    ),
    pytest.param(
        lambda v, url: proof(v, "GET", another_port(url)),
        "htu does not match",
        id="proof-for-another-port",
    ),
    pytest.param(
        lambda v, url: proof(v, "GET", url.replace("http://", "https://")),
        "htu does not match",
        id="proof-for-https",
    ),
    pytest.param(
        signed_by_another_key,
        "signed by another key than the grant is bound to",
        id="proof-signed-by-another-key",
    ),
    pytest.param(
        lambda v, url: proof(v, "GET", url, drop=("ath",)),
        "ath does not match",
        id="proof-without-ath",
    ),
    pytest.param(
        lambda v, url: proof(v, "GET", url, ath=sha256_b64url("another grant")),
        "ath does not match",
        id="proof-with-a-wrong-ath",
    ),
    pytest.param(
        lambda v, url: proof(v, "GET", url, iat=int(time.time()) - 300),
        "not made within the last 60 seconds",
        id="proof-5-minutes-old",
    ),
    pytest.param(
        lambda v, url: proof(v, "GET", url, iat=int(time.time()) + 300),
        "iat is in the future",
        id="proof-5-minutes-ahead",
    ),
    pytest.param(with_alg_none, "algorithm 'none' is not accepted", id="proof-alg-none"),
    pytest.param(maced_with_the_public_key, "algorithm 'HS256' is not accepted", id="proof-hs256"),
    pytest.param(
        lambda v, url: proof(v, "GET", url, header={"typ": "JWT"}),
        "typ must be 'dpop+jwt'",
        id="proof-typ-wrong",
    ),
    pytest.param(with_private_key_in_jwk, "private key material", id="proof-jwk-with-d"),
    pytest.param(lambda v, url: None, "a DPoP proof is required", id="no-proof"),
    pytest.param(lambda v, url: "not-a-proof", "invalid DPoP proof", id="proof-not-a-jwt"),
    pytest.param(
        lambda v, url: proof(v, "GET", url) + "," + proof(v, "GET", url),
        "exactly one DPoP proof",
        id="two-proofs",
    ),
    pytest.param(
        lambda v, url: proof(v, "GET", url, pad="x" * 4096),
        "at most 4 KB",
        id="proof-too-large",
    ),
]


@pytest.mark.parametrize(("make", "says"), PROOF_TRICKS)
def test_a_bad_proof_is_refused_and_audited(server, owner, reader, make, says):
    url = f"{server.url}/data/profile"
    dpop = make(reader, url)
    response = audited_refusal(
        server, owner, lambda: data_request("GET", url, reader.grant.token, dpop), path="/profile"
    )
    assert_refused(response, 401, "invalid_dpop_proof", "invalid-dpop-proof", says)
    assert refusals(server, owner)[0]["actor"] == reader.id


@pytest.mark.parametrize(
    ("htu", "query"),
    [
        pytest.param("{url}?x=1", "", id="htu-with-a-query"),
        pytest.param("{url}#me", "", id="htu-with-a-fragment"),
        pytest.param("{url}", "?x=1", id="request-with-a-query"),
        pytest.param("{url}?x=2", "?x=1", id="htu-with-another-query"),
        pytest.param("HTTP://127.0.0.1:{port}/data/profile", "", id="htu-scheme-in-capitals"),
        pytest.param("http://127.0.0.1:{port}/data/pro%66ile", "", id="htu-percent-encoded"),
    ],
)
def test_a_proof_whose_htu_differs_only_in_normal_form_is_accepted(
    server, owner, reader, htu, query
):
    # RFC 9449 4.3: htu is compared without query and fragment, after syntax normalisation.
    # The live pod listens on a random port, so a default-port ":80" or a host in capitals is
    # checked in tests/consent/test_dpop.py instead.
    url = f"{server.url}/data/profile"
    dpop = proof(reader, "GET", htu.format(url=url, port=server.port))
    response = data_request("GET", url + query, reader.grant.token, dpop)
    assert response.status_code == 200, response.text
    assert "alex@example.org" in response.text
    assert "Alex Example" not in response.text, "a field outside the grant was shown"
    events = owner.get(f"{server.url}/owner/audit", params={"action": "data.read"}).json()
    assert events["events"][0]["outcome"] == "allowed"


def test_a_proof_with_iat_nan_is_refused(server, owner, reader):
    url = f"{server.url}/data/profile"
    header = {"typ": PROOF_TYP, "alg": "EdDSA", "jwk": reader.key.public_jwk}
    # json.dumps writes the bare token NaN, which PyJWT's json.loads reads back as a float.
    claims = {**proof_claims(reader, "GET", url), "iat": float("nan")}
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    dpop = f"{signing_input}.{b64url(reader.private_key.sign(signing_input.encode()))}"
    response = data_request("GET", url, reader.grant.token, dpop)
    assert_refused(response, 401, "invalid_dpop_proof", "invalid-dpop-proof", "iat")


def test_a_proof_with_a_line_break_in_its_key_type_is_refused_with_a_challenge(
    server, owner, reader
):
    url = f"{server.url}/data/profile"
    jwk = {**reader.key.public_jwk, "kty": "OKP\r\nSet-Cookie: session=stolen"}
    response = data_request(
        "GET", url, reader.grant.token, proof(reader, "GET", url, header={"jwk": jwk})
    )
    assert "Set-Cookie" not in response.headers
    assert_refused(response, 401, "invalid_dpop_proof", "invalid-dpop-proof", "OKP")


def test_a_proof_with_text_outside_latin1_is_refused_with_a_challenge(server, owner, reader):
    url = f"{server.url}/data/profile"
    dpop = proof(reader, "G\u20acT", url)
    response = requests.get(
        url, headers={"Authorization": f"DPoP {reader.grant.token}", "DPoP": dpop}, timeout=1
    )
    assert_refused(response, 401, "invalid_dpop_proof", "invalid-dpop-proof", "not this GET")


def test_a_grant_sent_as_a_bearer_token_shows_nothing(server, owner, reader):
    url = f"{server.url}/data/profile"
    before = stored(server)
    response = requests.get(
        url,
        headers={
            "Authorization": f"Bearer {reader.grant.token}",
            "DPoP": make_proof(reader.key, "GET", url, reader.grant.token),
        },
        timeout=10,
    )
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]
    assert_no_customer_data(response.text)
    assert stored(server) == before


# -- forged grants -----------------------------------------------------------------------------


def hs256_with_the_pods_public_key(server, vendor: Vendor, encoding: str) -> str:
    jwk = requests.get(f"{server.url}/.well-known/jwks.json", timeout=10).json()["keys"][0]
    secret = {
        "x-bytes": base64.urlsafe_b64decode(jwk["x"] + "=="),
        "x-text": jwk["x"].encode(),
        "pem": jwt.PyJWK(jwk).key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    }[encoding]
    header = {"alg": "HS256", "typ": GRANT_TYP, "kid": jwk["kid"]}
    return mac_signed(header, grant_claims(vendor), secret)


def grant_with_alg_none(server, vendor: Vendor) -> str:
    header = jwt.get_unverified_header(vendor.grant.token)
    return unsigned({**header, "alg": "none"}, grant_claims(vendor))


def grant_widened_to_preferences(server, vendor: Vendor) -> str:
    header, _payload, signature = vendor.grant.token.split(".")
    claims = grant_claims(vendor)
    claims["scopes"] = [{"resource": "/preferences", "modes": ["read"]}]
    return f"{header}.{b64json(claims)}.{signature}"


def grant_signed_by_another_key_under_the_pods_kid(server, vendor: Vendor) -> str:
    return pod_signed(server, grant_claims(vendor), signer=ed25519.Ed25519PrivateKey.generate())


def grant_with(**changes) -> Callable:
    def forge(server, vendor: Vendor) -> str:
        claims = {**grant_claims(vendor), **changes}
        return pod_signed(server, {k: v for k, v in claims.items() if v is not None})

    return forge


def grant_with_times(exp: int, nbf: int) -> Callable:
    def forge(server, vendor: Vendor) -> str:
        now = int(time.time())
        claims = {**grant_claims(vendor), "iat": now - 3600, "nbf": now + nbf, "exp": now + exp}
        return pod_signed(server, claims)

    return forge


def the_consent_receipt(server, vendor: Vendor) -> str:
    return vendor.grant.receipt


def grant_with_header(**header) -> Callable:
    def forge(server, vendor: Vendor) -> str:
        return pod_signed(server, grant_claims(vendor), header=header)

    return forge


GRANT_FORGERIES = [
    pytest.param(
        lambda s, v: hs256_with_the_pods_public_key(s, v, "x-bytes"),
        "/profile",
        "invalid-grant",
        "not signed by this pod",
        id="hs256-keyed-with-the-public-key-bytes",
    ),
    pytest.param(
        lambda s, v: hs256_with_the_pods_public_key(s, v, "x-text"),
        "/profile",
        "invalid-grant",
        "not signed by this pod",
        id="hs256-keyed-with-the-public-key-text",
    ),
    pytest.param(
        lambda s, v: hs256_with_the_pods_public_key(s, v, "pem"),
        "/profile",
        "invalid-grant",
        "not signed by this pod",
        id="hs256-keyed-with-the-public-key-pem",
    ),
    pytest.param(grant_with_alg_none, "/profile", "invalid-grant", "not signed", id="alg-none"),
    pytest.param(
        grant_widened_to_preferences,
        "/preferences",
        "invalid-grant",
        "Signature verification failed",
        id="payload-widened-signature-kept",
    ),
    pytest.param(
        grant_signed_by_another_key_under_the_pods_kid,
        "/profile",
        "invalid-grant",
        "Signature verification failed",
        id="another-key-same-kid",
    ),
    pytest.param(
        grant_with(aud="https://another-pod.example"),
        "/profile",
        "invalid-grant",
        "Audience doesn't match",
        id="wrong-aud",
    ),
    pytest.param(
        grant_with(iss="https://another-pod.example"),
        "/profile",
        "invalid-grant",
        "Invalid issuer",
        id="wrong-iss",
    ),
    pytest.param(grant_with(cnf=None), "/profile", "invalid-grant", "cnf", id="not-bound-to-a-key"),
    pytest.param(
        grant_with(jti="a-grant-this-pod-never-gave"),
        "/profile",
        "invalid-grant",
        "unknown to this pod",
        id="unknown-jti",
    ),
    pytest.param(
        grant_with_times(exp=-120, nbf=-3600),
        "/profile",
        "grant-expired",
        "the grant has expired",
        id="expired",
    ),
    pytest.param(
        grant_with_times(exp=3600, nbf=600),
        "/profile",
        "invalid-grant",
        "not yet valid",
        id="not-yet-valid",
    ),
    pytest.param(
        the_consent_receipt, "/profile", "invalid-grant", "not a grant", id="consent-receipt"
    ),
    pytest.param(
        grant_with_header(typ="JWT"), "/profile", "invalid-grant", "not a grant", id="typ-jwt"
    ),
    pytest.param(
        grant_with_header(kid="another-kid"),
        "/profile",
        "invalid-grant",
        "not signed by this pod",
        id="unknown-kid",
    ),
    pytest.param(lambda s, v: "not-a-grant", "/profile", "invalid-grant", "not a JWT", id="junk"),
]


@pytest.mark.parametrize(("forge", "path", "problem", "says"), GRANT_FORGERIES)
def test_a_forged_grant_is_refused_and_audited(server, owner, reader, forge, path, problem, says):
    token = forge(server, reader)
    url = f"{server.url}/data{path}"
    dpop = proof(reader, "GET", url, token)
    response = audited_refusal(
        server, owner, lambda: data_request("GET", url, token, dpop), path=path
    )
    assert_refused(response, 401, "invalid_token", problem, says)


# -- paths outside the grant -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/preferences", "/", "/preferences/", "/profile/", "/owner"])
def test_a_path_outside_the_grant_is_refused_and_audited(server, owner, reader, path):
    url = f"{server.url}/data{path}"
    dpop = make_proof(reader.key, "GET", url, reader.grant.token)
    response = audited_refusal(
        server, owner, lambda: data_request("GET", url, reader.grant.token, dpop), path=path
    )
    assert_refused(
        response,
        403,
        "insufficient_scope",
        "insufficient-scope",
        f"the grant does not allow read on {path}",
    )


def test_a_refusal_does_not_tell_whether_something_exists(server, owner, reader):
    def refusal(path: str) -> tuple[dict, str]:
        url = f"{server.url}/data{path}"
        dpop = make_proof(reader.key, "GET", url, reader.grant.token)
        response = data_request("GET", url, reader.grant.token, dpop)
        assert response.status_code == 403, response.text
        body = {k: str(v).replace(path, "<path>") for k, v in response.json().items()}
        return body, response.headers["WWW-Authenticate"].replace(path, "<path>")

    existing = refusal("/preferences")
    assert refusal("/nothing-here") == existing
    assert refusal("/preferences-missing") == existing


PATH_TRICKS = [
    "/data/../owner",
    "/data/%2e%2e/profile",
    "/data/%2E%2E/owner",
    "/data/profile/..",
    "/data/profile/%2e%2e",
    "/data/%252e%252e/profile",
    "/data//profile",
    "/data/./profile",
    "/data/preferences/../profile",
    "/data/profile%2F..%2Fpreferences",
]


@pytest.mark.parametrize("raw_path", PATH_TRICKS)
def test_path_tricks_show_nothing_and_change_nothing(server, owner, reader, raw_path):
    before = stored(server)
    status, content_type, text = raw_request(server, reader, "GET", raw_path)
    assert status in (400, 403, 404), (status, text)
    assert content_type == "application/problem+json"
    assert json.loads(text)["detail"]
    assert_no_customer_data(text)
    assert stored(server) == before


@pytest.mark.parametrize("raw_path", ["/data/../owner", "/data/%2e%2e/profile"])
def test_a_vendors_path_trick_is_audited_as_refused(server, owner, reader, raw_path):
    status, _content_type, _text = raw_request(server, reader, "GET", raw_path)
    assert status in (400, 403)
    events = refusals(server, owner)
    assert [event["actor"] for event in events] == [reader.id]


CONTAINER_ESCAPES = [
    ("GET", "/data/vendors/{own}/../../profile"),
    ("GET", "/data/vendors/{own}/%2e%2e/%2e%2e/preferences"),
    ("GET", "/data/vendors/{own}/../{other}/"),
    ("POST", "/data/vendors/{own}/../../"),
    ("POST", "/data/vendors/{own}/%2e%2e/{other}/"),
    ("POST", "/data/vendors/{own}/./"),
]


@pytest.mark.parametrize(("method", "raw_path"), CONTAINER_ESCAPES)
def test_a_vendor_cannot_climb_out_of_its_container(server, owner, appender, method, raw_path):
    raw_path = raw_path.format(own=appender.id, other=OTHER_VENDOR)
    before = stored(server)
    status, content_type, text = raw_request(server, appender, method, raw_path, body=RECORD)
    assert status in (400, 403, 404), (status, text)
    assert content_type == "application/problem+json"
    assert_no_customer_data(text)
    assert stored(server) == before


@pytest.mark.parametrize(("method", "raw_path"), CONTAINER_ESCAPES[:1] + CONTAINER_ESCAPES[3:4])
def test_a_climb_out_of_the_container_is_audited_as_refused(
    server, owner, appender, method, raw_path
):
    raw_path = raw_path.format(own=appender.id, other=OTHER_VENDOR)
    raw_request(server, appender, method, raw_path, body=RECORD)
    events = owner.get(f"{server.url}/owner/audit", params={"actor": appender.id}).json()
    newest = events["events"][0]
    assert newest["action"].startswith("data.") and newest["outcome"] == "refused", newest


def raw_request(
    server, vendor: Vendor, method: str, raw_path: str, body: str | None = None
) -> tuple[int, str | None, str]:
    """A request with the request line exactly as given (requests would normalise "..").

    The proof names the URL as the pod reads it (percent-decoded), so that only the path,
    not the proof, is what the pod has to refuse.
    """
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest(method, raw_path, skip_accept_encoding=True)
        conn.putheader("Authorization", f"DPoP {vendor.grant.token}")
        htu = server.url + urllib.parse.unquote(raw_path)
        conn.putheader("DPoP", make_proof(vendor.key, method, htu, vendor.grant.token))
        if body is not None:
            conn.putheader("Content-Type", "text/turtle")
            conn.putheader("Content-Length", str(len(body.encode())))
        conn.endheaders(body.encode() if body is not None else None)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type"), response.read().decode()
    finally:
        conn.close()


# -- appending outside the vendor's own container ----------------------------------------------


@pytest.mark.parametrize(
    ("method", "where", "mode", "body", "content_type"),
    [
        pytest.param("POST", "/vendors/{other}/", "append", RECORD, "text/turtle", id="post-other"),
        pytest.param(
            "POST", "/vendors/{own}", "append", RECORD, "text/turtle", id="post-own-no-slash"
        ),
        pytest.param("POST", "/vendors/", "append", RECORD, "text/turtle", id="post-vendors"),
        pytest.param("POST", "/", "append", RECORD, "text/turtle", id="post-root"),
        pytest.param("POST", "/profile", "append", RECORD, "text/turtle", id="post-profile"),
        pytest.param("POST", "/preferences/", "append", RECORD, "text/turtle", id="post-prefs"),
        pytest.param("PUT", "/vendors/{own}/r1", "write", RECORD, "text/turtle", id="put-own"),
        pytest.param("PUT", "/vendors/{own}/new", "write", RECORD, "text/turtle", id="put-new"),
        pytest.param("PUT", "/profile", "write", RECORD, "text/turtle", id="put-profile"),
        pytest.param(
            "PATCH",
            "/vendors/{own}/r1",
            "write",
            'INSERT DATA { <#it> <https://schema.org/name> "More" }',
            "application/sparql-update",
            id="patch-own",
        ),
        pytest.param("DELETE", "/vendors/{own}/r1", "write", None, None, id="delete-own"),
        pytest.param("DELETE", "/vendors/{own}/", "write", None, None, id="delete-container"),
        pytest.param("DELETE", "/profile", "write", None, None, id="delete-profile"),
    ],
)
def test_a_vendor_can_only_append_in_its_own_container(
    server, owner, appender, method, where, mode, body, content_type
):
    path = where.format(own=appender.id, other=new_vendor(server).id)
    url = f"{server.url}/data{path}"
    dpop = make_proof(appender.key, method, url, appender.grant.token)
    headers = {"Content-Type": content_type} if content_type else {}
    response = audited_refusal(
        server,
        owner,
        lambda: data_request(method, url, appender.grant.token, dpop, data=body, headers=headers),
        path=path,
        action=f"data.{mode}",
    )
    assert_refused(
        response,
        403,
        "insufficient_scope",
        "insufficient-scope",
        f"the grant does not allow {mode} on {path}",
    )
    assert [row.path for row in stored(server)] == [
        "/preferences",
        "/profile",
        f"/vendors/{appender.id}/r1",
    ]


# -- access requests ---------------------------------------------------------------------------


def signed_request(
    server, private_key: ed25519.Ed25519PrivateKey, *, header: dict | None = None, **changes
) -> str:
    """A signed access request that the pod accepts, but for `changes`."""
    config = requests.get(f"{server.url}/.well-known/pds-configuration", timeout=10).json()
    now = int(time.time())
    claims = {
        "aud": server.url,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(16),
        "vendor": {"name": "Hostile Shop"},
        "scopes": [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}],
        "purpose": {"iri": PURPOSE, "description": "to send order confirmations"},
        "duration": 86400,
        "terms": [t["id"] for t in config["terms"] if t["required"]],
        **changes,
    }
    headers = {"typ": REQUEST_TYP, "jwk": VendorKey(private_key).public_jwk, **(header or {})}
    return jwt.encode(claims, private_key, algorithm="EdDSA", headers=headers)


def submit(server, signed: str) -> requests.Response:
    return requests.post(
        f"{server.url}/access-requests",
        data=signed,
        headers={"Content-Type": "application/jwt"},
        timeout=10,
    )


def assert_request_refused(server, owner, response: requests.Response, says: str) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert says in response.json()["detail"], response.json()
    assert owner.get(f"{server.url}/owner/access-requests").json()["requests"] == []


def test_the_hand_made_request_is_accepted_as_it_is(server, owner):
    response = submit(server, signed_request(server, ed25519.Ed25519PrivateKey.generate()))
    assert response.status_code == 202, response.text
    assert len(owner.get(f"{server.url}/owner/access-requests").json()["requests"]) == 1


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        pytest.param(
            {"scopes": [{"resource": "/secrets"}]}, "unknown resource '/secrets'", id="resource"
        ),
        pytest.param(
            {"scopes": [{"resource": "/profile", "fields": [SCHEMA + "creditCard"]}]},
            "unknown field(s) of /profile: https://schema.org/creditCard",
            id="field",
        ),
        pytest.param(
            {"scopes": [{"resource": "/profile", "modes": ["append"]}]},
            "/profile can only be read",
            id="append-on-profile",
        ),
        pytest.param(
            {"scopes": [{"resource": f"/vendors/{OTHER_VENDOR}/", "modes": ["append"]}]},
            "may append only to its own container",
            id="append-in-another-vendors-container",
        ),
        pytest.param(
            {"purpose": {"iri": "https://w3id.org/dpv#Surveillance", "description": "x"}},
            "is not one of the DPV purposes",
            id="purpose",
        ),
        pytest.param({"terms": []}, "requires these terms", id="no-terms"),
        pytest.param({"terms": ["no-tracking"]}, "requires these terms", id="only-optional-terms"),
        pytest.param({"terms": ["sell-everything"]}, "unknown term(s)", id="unknown-term"),
        pytest.param(
            {"callback": "http://169.254.169.254/latest/meta-data/"},
            "https URL",
            id="callback-http-metadata",
        ),
        pytest.param(
            {"callback": "https://169.254.169.254/latest/meta-data/"},
            "private or local",
            id="callback-metadata",
        ),
        pytest.param(
            {"callback": "https://[::ffff:169.254.169.254]/"},
            "private or local",
            id="callback-mapped-ipv6",
        ),
        pytest.param({"callback": "https://localhost/"}, "private or local", id="callback-local"),
        pytest.param(
            {"callback": "https://user:pw@vendor.example/"}, "without credentials", id="userinfo"
        ),
        pytest.param({"aud": "https://another-pod.example"}, "Audience doesn't match", id="aud"),
        pytest.param(
            {"exp": int(time.time()) + 3600}, "must expire within 600", id="long-lived-request"
        ),
        pytest.param({"duration": 10}, "duration is a number of seconds", id="duration"),
    ],
)
def test_an_access_request_that_asks_wrongly_is_refused_and_not_stored(
    server, owner, changes, says
):
    response = submit(
        server, signed_request(server, ed25519.Ed25519PrivateKey.generate(), **changes)
    )
    assert response.status_code == 422, response.text
    assert_request_refused(server, owner, response, says)


def test_an_access_request_with_alg_none_is_refused(server, owner):
    private_key = ed25519.Ed25519PrivateKey.generate()
    _header, payload, _signature = signed_request(server, private_key).split(".")
    header = b64json({"typ": REQUEST_TYP, "alg": "none", "jwk": VendorKey(private_key).public_jwk})
    response = submit(server, f"{header}.{payload}.")
    assert_request_refused(server, owner, response, "algorithm 'none' is not accepted")


def test_an_access_request_signed_by_another_key_than_its_jwk_is_refused(server, owner):
    claimed = VendorKey(ed25519.Ed25519PrivateKey.generate()).public_jwk
    signed = signed_request(server, ed25519.Ed25519PrivateKey.generate(), header={"jwk": claimed})
    response = submit(server, signed)
    assert_request_refused(server, owner, response, "Signature verification failed")


def test_an_access_request_of_another_type_is_refused(server, owner):
    signed = signed_request(server, ed25519.Ed25519PrivateKey.generate(), header={"typ": "JWT"})
    assert_request_refused(server, owner, submit(server, signed), "typ header must be")


def test_an_access_request_with_modes_that_are_not_strings_is_refused(server, owner):
    scopes = [{"resource": "/profile", "modes": [["read"]]}]
    response = submit(
        server, signed_request(server, ed25519.Ed25519PrivateKey.generate(), scopes=scopes)
    )
    assert_request_refused(server, owner, response, "modes of /profile")


def test_a_replayed_access_request_is_refused_and_queues_nothing(server, owner):
    signed = signed_request(server, ed25519.Ed25519PrivateKey.generate())
    assert submit(server, signed).status_code == 202
    replayed = submit(server, signed)
    assert replayed.status_code == 422, replayed.text
    assert "already submitted" in replayed.json()["detail"]
    assert len(owner.get(f"{server.url}/owner/access-requests").json()["requests"]) == 1


def test_a_request_status_is_hidden_from_other_keys(server, owner):
    asker, snoop = new_vendor(server), new_vendor(server)
    pending = asker.client.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}],
        purpose=PURPOSE,
        description="to send order confirmations",
        duration=dt.timedelta(days=1),
        vendor={"name": "Honest Shop"},
    )
    assert pending.status()["status"] == "pending"

    def status_as(vendor: Vendor, url: str) -> requests.Response:
        dpop = make_proof(vendor.key, "GET", url)
        return requests.get(url, headers={"DPoP": dpop}, timeout=10)

    someone_elses = status_as(snoop, pending.status_url)
    no_such = status_as(snoop, f"{server.url}/access-requests/{secrets.token_urlsafe(16)}")
    assert someone_elses.status_code == no_such.status_code == 404
    assert someone_elses.json() == no_such.json()
    assert someone_elses.headers["Content-Type"] == "application/problem+json"
    assert pending.id not in someone_elses.text and "Honest Shop" not in someone_elses.text

    unproven = requests.get(pending.status_url, timeout=10)
    assert_refused(unproven, 401, "invalid_dpop_proof", "invalid-dpop-proof", "proof is required")
