"""Tokens whose header or claims have the wrong kind of value: a `crit` header, a `kid` that is
not a string, times written as strings. Each is a clear refusal (never a 500), audited where
the data API is concerned, with nothing stored or queued.
"""

from __future__ import annotations

import secrets
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.server.test_vendor_hostile_requests import (
    assert_request_refused,
    signed_request,
    submit,
)
from tests.server.vendor_setup import (
    GRANT_TYP,
    Vendor,
    assert_refused,
    audited_refusal,
    b64json,
    b64url,
    data_request,
    grant_claims,
    proof,
    proof_claims,
)
from vendor_client import VendorKey

PROOF_TYP = "dpop+jwt"
REQUEST_TYP = "pds-access-request+jwt"


def signed(private_key: ed25519.Ed25519PrivateKey, header: dict, claims: dict) -> str:
    """A compact JWS made by hand: libraries refuse to write some of these headers."""
    signing_input = f"{b64json({'alg': 'EdDSA', **header})}.{b64json(claims)}"
    return f"{signing_input}.{b64url(private_key.sign(signing_input.encode()))}"


def pod_signed(server, header: dict, claims: dict) -> str:
    key = server.pod.ctx.keys.active
    return signed(key.private_key, {"typ": GRANT_TYP, "kid": key.kid, **header}, claims)


GRANTS = {
    "crit-header": ({"crit": ["exp"]}, {}, "invalid-grant", "not a valid JWT"),
    "crit-empty": ({"crit": []}, {}, "invalid-grant", "not a valid JWT"),
    "kid-a-number": ({"kid": 7}, {}, "invalid-grant", "not a valid JWT"),
    "exp-a-string": ({}, {"exp": str(int(time.time()) + 3600)}, "invalid-grant", "exp"),
}


@pytest.mark.parametrize(("header", "claims", "problem", "says"), GRANTS.values(), ids=GRANTS)
def test_a_grant_with_odd_fields_is_refused_and_audited(
    server, owner, reader: Vendor, header, claims, problem, says
):
    token = pod_signed(server, header, {**grant_claims(reader), **claims})
    url = f"{server.url}/data/profile"
    response = audited_refusal(
        server,
        owner,
        lambda: data_request("GET", url, token, proof(reader, "GET", url, token)),
        path="/profile",
    )
    assert_refused(response, 401, "invalid_token", problem, says)


PROOF_HEADERS = {"crit-header": {"crit": ["htm"]}, "kid-a-number": {"kid": 7}}


@pytest.mark.parametrize("header", PROOF_HEADERS.values(), ids=PROOF_HEADERS)
def test_a_proof_with_odd_header_fields_is_refused_and_audited(
    server, owner, reader: Vendor, header
):
    url = f"{server.url}/data/profile"
    token = reader.grant.token
    dpop = signed(
        reader.private_key,
        {"typ": PROOF_TYP, "jwk": reader.key.public_jwk, **header},
        proof_claims(reader, "GET", url, token),
    )
    response = audited_refusal(
        server, owner, lambda: data_request("GET", url, token, dpop), path="/profile"
    )
    assert_refused(response, 401, "invalid_dpop_proof", "invalid-dpop-proof", "invalid DPoP")


@pytest.mark.parametrize("header", PROOF_HEADERS.values(), ids=PROOF_HEADERS)
def test_a_status_url_proof_with_odd_header_fields_is_refused(server, reader: Vendor, header):
    url = f"{server.url}/access-requests/{secrets.token_urlsafe(16)}"
    claims = {"htm": "GET", "htu": url, "iat": int(time.time()), "jti": secrets.token_hex(8)}
    dpop = signed(
        reader.private_key, {"typ": PROOF_TYP, "jwk": reader.key.public_jwk, **header}, claims
    )

    response = requests.get(url, headers={"DPoP": dpop}, timeout=10)

    assert_refused(response, 401, "invalid_dpop_proof", "invalid-dpop-proof", "invalid DPoP")


REQUESTS = {
    "crit-header": ({"crit": ["exp"]}, {}, "critical extensions (crit)"),
    "iat-a-string": ({}, {"iat": str(int(time.time()))}, "must be numbers"),
    "exp-a-string": ({}, {"exp": str(int(time.time()) + 300)}, "must be numbers"),
}


@pytest.mark.parametrize(("header", "changes", "says"), REQUESTS.values(), ids=REQUESTS)
def test_an_access_request_with_odd_fields_is_refused_and_not_stored(
    server, owner, header, changes, says
):
    key = ed25519.Ed25519PrivateKey.generate()
    claims = jwt.decode(signed_request(server, key), options={"verify_signature": False})
    jwk = VendorKey(key).public_jwk
    request = signed(key, {"typ": REQUEST_TYP, "jwk": jwk, **header}, {**claims, **changes})

    response = submit(server, request)

    assert response.status_code == 422, response.text
    assert_request_refused(server, owner, response, says)


@pytest.mark.parametrize("value", ["DPoP", "DPoP ", "dpop   ", "DPoP\t"])
def test_the_dpop_scheme_without_a_grant_gets_the_documented_challenge(server, value):
    response = requests.get(
        f"{server.url}/data/profile", headers={"Authorization": value}, timeout=10
    )

    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("#invalid-grant")
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("DPoP ") and 'error="invalid_token"' in challenge
