"""A hostile vendor against the live pod, on both backends: grants it forged or altered.

Every trick must be refused with a DPoP challenge and a problem+json body that says why, show
none of the customer's data, leave every stored document as it was, and (for data requests)
be written to the audit log as refused.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.server.vendor_setup import (
    GRANT_TYP,
    Vendor,
    assert_refused,
    audited_refusal,
    b64json,
    data_request,
    grant_claims,
    mac_signed,
    pod_signed,
    proof,
    unsigned,
)

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
