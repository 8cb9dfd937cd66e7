"""RFC 9864's fully specified `"alg": "Ed25519"`, which current JavaScript DPoP libraries send,
is accepted beside `EdDSA` in proofs and access requests, and advertised in discovery."""

from __future__ import annotations

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.server.test_hostile_token_fields import PROOF_TYP, REQUEST_TYP, signed
from tests.server.test_vendor_hostile_requests import signed_request, submit
from tests.server.vendor_setup import Vendor, data_request, proof_claims
from vendor_client import VendorKey


def test_discovery_advertises_both_names_of_ed25519(server):
    config = requests.get(f"{server.url}/.well-known/pds-configuration", timeout=10).json()
    for member in (
        "dpop_signing_alg_values_supported",
        "access_request_signing_alg_values_supported",
    ):
        assert {"EdDSA", "Ed25519", "ES256"} <= set(config[member])
    vendor_call = {"Authorization": "DPoP not-a-grant"}
    refused = requests.get(f"{server.url}/data/profile", headers=vendor_call, timeout=10)
    challenge = refused.headers["WWW-Authenticate"]
    assert 'algs="EdDSA Ed25519 ES256"' in challenge


def test_a_proof_signed_as_ed25519_reads_the_data(server, reader: Vendor):
    url = f"{server.url}/data/profile"
    header = {"alg": "Ed25519", "typ": PROOF_TYP, "jwk": reader.key.public_jwk}
    dpop = signed(reader.private_key, header, proof_claims(reader, "GET", url))

    response = data_request("GET", url, reader.grant.token, dpop)

    assert response.status_code == 200, response.text


def test_an_access_request_signed_as_ed25519_is_queued(server, owner):
    key = ed25519.Ed25519PrivateKey.generate()
    claims = jwt.decode(signed_request(server, key), options={"verify_signature": False})
    header = {"alg": "Ed25519", "typ": REQUEST_TYP, "jwk": VendorKey(key).public_jwk}

    response = submit(server, signed(key, header, claims))

    assert response.status_code == 202, response.text
    pending = owner.get(f"{server.url}/owner/access-requests", timeout=10).json()
    assert response.json()["id"] in {r["id"] for r in pending["requests"]}


def test_an_ed25519_header_on_a_p256_key_is_refused(server):
    p256 = VendorKey(ec.generate_private_key(ec.SECP256R1()))
    key = ed25519.Ed25519PrivateKey.generate()
    claims = jwt.decode(signed_request(server, key), options={"verify_signature": False})

    response = submit(
        server, signed(key, {"alg": "Ed25519", "typ": REQUEST_TYP, "jwk": p256.public_jwk}, claims)
    )

    assert response.status_code == 422
    assert "Ed25519 needs a Ed25519 key (OKP)" in response.json()["detail"]
