"""A hostile vendor against the live pod, on both backends: replayed, forged or malformed proofs.

Every trick must be refused with a DPoP challenge and a problem+json body that says why, show
none of the customer's data, leave every stored document as it was, and (for data requests)
be written to the audit log as refused.
"""

from __future__ import annotations

import json
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.server.vendor_setup import (
    PROOF_TYP,
    Vendor,
    assert_no_customer_data,
    assert_refused,
    audited_refusal,
    b64json,
    b64url,
    data_request,
    mac_signed,
    proof,
    proof_claims,
    refusals,
    sha256_b64url,
    stored,
    unsigned,
)
from vendor_client import VendorKey, make_proof

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
    # checked in tests/consent/test_dpop_htu.py instead.
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
