"""DPoP proof checks (RFC 9449) on their own: what a good proof gives, and every refusal.

Proofs are refused for their form, their signature, their header and their claims.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from pds.consent import jose
from pds.consent.dpop import MAX_AGE, MAX_PROOF_BYTES, MAX_SKEW, verify_proof
from pds.consent.errors import InvalidProof
from tests.consent.dpop_setup import (
    ATH,
    GRANT,
    NOW,
    URL,
    b64json,
    b64url,
    claims_now,
    make_proof,
    unsigned,
    verify,
)

# -- what a good proof gives -------------------------------------------------------------------


def test_a_fresh_proof_gives_its_keys_thumbprint_and_a_replay_key(private_key):
    proof = make_proof(private_key, jti="the-same-jti")
    verified = verify(proof)
    assert verified.jkt == jose.thumbprint(jose.public_jwk(private_key))
    assert verified.expires_at == dt.datetime.fromtimestamp(NOW + MAX_AGE + MAX_SKEW, dt.UTC)
    again = verify(make_proof(private_key, jti="the-same-jti"))
    other = verify(make_proof(private_key, jti="another-jti"))
    assert again.replay_key == verified.replay_key != other.replay_key
    other_key = verify(make_proof(ed25519.Ed25519PrivateKey.generate(), jti="the-same-jti"))
    assert other_key.replay_key != verified.replay_key


def test_a_p256_proof_is_accepted():
    key = ec.generate_private_key(ec.SECP256R1())
    assert verify(make_proof(key)).jkt == jose.thumbprint(jose.public_jwk(key))


@pytest.mark.parametrize("age", [-MAX_SKEW, 0, MAX_AGE])
def test_the_proof_may_be_up_to_a_minute_old_or_a_few_seconds_ahead(private_key, age):
    assert verify(make_proof(private_key, iat=NOW - age))


def test_a_proof_without_grant_needs_no_ath(private_key):
    proof = make_proof(private_key, drop=("ath",))
    assert verify_proof(proof, method="GET", url=URL, now=NOW)


# -- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("proof", [None, ""])
def test_a_missing_proof_is_refused(proof):
    with pytest.raises(InvalidProof, match="a DPoP proof is required"):
        verify_proof(proof, method="GET", url=URL, access_token=GRANT, now=NOW)


@pytest.mark.parametrize(
    ("claims", "says"),
    [
        ({"iat": NOW - MAX_AGE - 1}, "within the last 60 seconds"),
        ({"iat": NOW - 300}, "within the last 60 seconds"),
        ({"iat": NOW + MAX_SKEW + 1}, "iat is in the future"),
        ({"iat": NOW + 300}, "iat is in the future"),
        ({"iat": float("inf")}, "must be a number"),
        ({"iat": float("-inf")}, "must be a number"),
        ({"iat": str(NOW)}, "iat must be a number"),
        ({"iat": True}, "iat must be a number"),
        ({"jti": "short"}, "jti"),
        ({"jti": "x" * 129}, "jti"),
        ({"jti": 12345678}, "JWT ID must be a string"),
        ({"htm": "get"}, "is for 'get'"),
        ({"htm": "POST"}, "is for 'POST'"),
        ({"htu": "https://pod.example/data/preferences"}, "htu"),
        ({"htu": "http://pod.example/data/profile"}, "htu"),
        ({"htu": "https://evil.example/data/profile"}, "htu"),
        ({"htu": "https://pod.example:8443/data/profile"}, "htu"),
        ({"htu": ["https://pod.example/data/profile"]}, "htu"),
        ({"ath": jose.sha256_b64url("another-grant")}, "ath"),
        ({"ath": GRANT}, "ath"),
        ({"exp": NOW - 10**8}, "expired"),
    ],
)
def test_a_proof_with_a_wrong_claim_is_refused(private_key, claims, says):
    with pytest.raises(InvalidProof) as caught:
        verify(make_proof(private_key, **claims))
    assert says in str(caught.value)


@pytest.mark.parametrize("claim", ["iat", "jti", "htm", "htu", "ath"])
def test_a_proof_missing_a_claim_is_refused(private_key, claim):
    with pytest.raises(InvalidProof, match=claim):
        verify(make_proof(private_key, drop=(claim,)))


def test_a_proof_whose_iat_is_not_a_number_is_refused(private_key):
    header = {"typ": "dpop+jwt", "alg": "EdDSA", "jwk": jose.public_jwk(private_key)}
    # json.dumps writes the bare token NaN, which json.loads (and so PyJWT) reads back.
    payload = json.dumps(
        {"htm": "GET", "htu": URL, "iat": float("nan"), "jti": "nan-proof-1", "ath": ATH}
    )
    signing_input = f"{b64json(header)}.{b64url(payload.encode())}"
    proof = f"{signing_input}.{b64url(private_key.sign(signing_input.encode()))}"
    with pytest.raises(InvalidProof):
        verify(proof, now=NOW + 365 * 86400)


def test_a_proof_signed_by_another_key_than_its_jwk_is_refused(private_key):
    impostor = ed25519.Ed25519PrivateKey.generate()
    proof = make_proof(impostor, header={"jwk": jose.public_jwk(private_key)})
    with pytest.raises(InvalidProof, match="Signature verification failed"):
        verify(proof)


def test_a_proof_with_alg_none_is_refused(private_key):
    header = {"typ": "dpop+jwt", "alg": "none", "jwk": jose.public_jwk(private_key)}
    with pytest.raises(InvalidProof, match="algorithm 'none' is not accepted"):
        verify(unsigned(header, claims_now()))


def test_a_proof_mac_ed_with_its_public_key_is_refused(private_key):
    jwk = jose.public_jwk(private_key)
    header = {"typ": "dpop+jwt", "alg": "HS256", "jwk": jwk}
    signing_input = f"{b64json(header)}.{b64json(claims_now())}"
    for secret in (jwk["x"].encode(), base64.urlsafe_b64decode(jwk["x"] + "=")):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        with pytest.raises(InvalidProof, match="algorithm 'HS256' is not accepted"):
            verify(f"{signing_input}.{b64url(mac)}")


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ({"typ": "JWT"}, "typ must be 'dpop+jwt'"),
        ({"typ": None}, "typ must be 'dpop+jwt'"),
        ({"jwk": None}, "jwk header must be a JSON object"),
        ({"jwk": "a-key"}, "jwk header must be a JSON object"),
        ({"alg": "ES256"}, "ES256 needs a P-256 key"),
    ],
)
def test_a_proof_with_a_bad_header_is_refused(private_key, header, says):
    body = claims_now()
    full = {"typ": "dpop+jwt", "alg": "EdDSA", "jwk": jose.public_jwk(private_key), **header}
    full = {k: v for k, v in full.items() if v is not None}
    with pytest.raises(InvalidProof) as caught:
        verify(unsigned(full, body) + "AAAA")
    assert says in str(caught.value)


def test_a_proof_carrying_the_private_key_is_refused(private_key):
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private_key))
    assert "d" in jwk
    with pytest.raises(InvalidProof, match="private key material"):
        verify(make_proof(private_key, header={"jwk": jwk}))


@pytest.mark.parametrize("garbage", ["not-a-jwt", "a.b.c", "....", "eyJ.eyJ.sig"])
def test_a_proof_that_is_not_a_jws_is_refused(garbage):
    with pytest.raises(InvalidProof, match="invalid DPoP proof"):
        verify(garbage)


def test_a_proof_of_at_most_4_kb_is_accepted_and_a_longer_one_refused(private_key):
    def proof_of(length: int) -> str:
        for pad in range(2600, 3000):
            for jti in ("a" * 12, "a" * 13, "a" * 14, "a" * 15):
                proof = make_proof(private_key, pad="x" * pad, jti=jti)
                if len(proof) == length:
                    return proof
        raise AssertionError(f"no proof of {length} characters")

    assert verify(proof_of(MAX_PROOF_BYTES))
    with pytest.raises(InvalidProof, match="at most 4 KB"):
        verify(proof_of(MAX_PROOF_BYTES + 1))


@pytest.mark.parametrize("separator", [",", ", ", " , "])
def test_two_proofs_in_one_header_are_refused(private_key, separator):
    first, second = make_proof(private_key), make_proof(private_key)
    assert verify(first) and verify(second)
    with pytest.raises(InvalidProof, match="exactly one DPoP proof"):
        verify(first + separator + second)
