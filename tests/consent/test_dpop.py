"""DPoP proof checks (RFC 9449) on their own: form, signature, claims, and URL normalisation."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from pds.consent import jose
from pds.consent.dpop import MAX_AGE, MAX_PROOF_BYTES, MAX_SKEW, normalize_htu, verify_proof
from pds.consent.errors import InvalidProof

NOW = 1_800_000_000
URL = "https://pod.example/data/profile"
GRANT = "a-grant-token"
ATH = jose.sha256_b64url(GRANT)

# RFC 9449 section 4.1 (Figure 4) and section 7.1 (Figure 13): the same P-256 key; the second
# proof accompanies the access token below and carries its hash in `ath`.
RFC_TOKEN_REQUEST_PROOF = (
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0Vj"
    "NoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5"
    "VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TV"
    "CIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8"
    "lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
)
RFC_RESOURCE_PROOF = (
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0Vj"
    "NoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5"
    "VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUI"
    "iwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI"
    "2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqz"
    "hrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA"
)
RFC_ACCESS_TOKEN = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
RFC_JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"  # RFC 9449 section 6.1
RFC_RESOURCE = "https://resource.example.org/protectedresource"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value) -> str:
    return b64url(json.dumps(value).encode())


@pytest.fixture
def private_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def make_proof(
    private_key,
    *,
    header: dict | None = None,
    drop: tuple[str, ...] = (),
    **claims,
) -> str:
    """A proof for GET `URL` with `GRANT`, made at NOW; keyword arguments change claims."""
    body = {
        "htm": "GET",
        "htu": URL,
        "iat": NOW,
        "jti": secrets.token_urlsafe(16),
        "ath": ATH,
        **claims,
    }
    for name in drop:
        body.pop(name)
    algorithm = "EdDSA" if isinstance(private_key, ed25519.Ed25519PrivateKey) else "ES256"
    headers = {"typ": "dpop+jwt", "jwk": jose.public_jwk(private_key), **(header or {})}
    return jwt.encode(body, private_key, algorithm=algorithm, headers=headers)


def verify(proof: str, *, method: str = "GET", url: str = URL, now: float = NOW, **kw):
    return verify_proof(proof, method=method, url=url, access_token=GRANT, now=now, **kw)


# -- RFC 9449 examples -------------------------------------------------------------------------


def test_the_rfc_token_request_proof_verifies_and_gives_the_rfc_thumbprint():
    verified = verify_proof(
        RFC_TOKEN_REQUEST_PROOF,
        method="POST",
        url="https://server.example.com/token",
        now=1562262616,
    )
    assert verified.jkt == RFC_JKT
    assert verified.jwk["crv"] == "P-256"


def test_the_rfc_resource_proof_verifies_with_its_access_token_hash():
    assert jose.sha256_b64url(RFC_ACCESS_TOKEN) == "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    verified = verify_proof(
        RFC_RESOURCE_PROOF,
        method="GET",
        url=RFC_RESOURCE,
        access_token=RFC_ACCESS_TOKEN,
        now=1562262618,
    )
    assert verified.jkt == RFC_JKT


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"access_token": "another-token"}, "ath"),
        ({"method": "POST"}, "is for 'GET'"),
        ({"url": "https://resource.example.org/other"}, "htu"),
        ({"url": "http://resource.example.org/protectedresource"}, "htu"),
        ({"url": "https://resource.example.org:8443/protectedresource"}, "htu"),
        ({"now": 1562262618 + MAX_AGE + 1}, "within the last"),
        ({"now": 1562262618 - MAX_SKEW - 1}, "in the future"),
    ],
)
def test_the_rfc_resource_proof_is_refused_for_anything_else(change, says):
    arguments = {
        "method": "GET",
        "url": RFC_RESOURCE,
        "access_token": RFC_ACCESS_TOKEN,
        "now": 1562262618,
        **change,
    }
    with pytest.raises(InvalidProof) as caught:
        verify_proof(RFC_RESOURCE_PROOF, **arguments)
    assert says in str(caught.value)


def test_the_rfc_proof_with_a_changed_claim_fails_its_signature():
    header, _payload, signature = RFC_TOKEN_REQUEST_PROOF.split(".")
    changed = b64json(
        {
            "jti": "-BwC3ESc6acc2lTc",
            "htm": "GET",
            "htu": "https://server.example.com/token",
            "iat": 1562262616,
        }
    )
    with pytest.raises(InvalidProof, match="Signature verification failed"):
        verify_proof(
            f"{header}.{changed}.{signature}",
            method="GET",
            url="https://server.example.com/token",
            now=1562262616,
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


def unsigned(header: dict, claims: dict) -> str:
    return f"{b64json(header)}.{b64json(claims)}."


def claims_now() -> dict:
    return {"htm": "GET", "htu": URL, "iat": NOW, "jti": "jti-of-a-proof", "ath": "x"}


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


# -- htu normalisation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://pod.example/data/profile", "https://pod.example/data/profile"),
        ("HTTPS://POD.Example/data/profile", "https://pod.example/data/profile"),
        ("https://pod.example:443/data/profile", "https://pod.example/data/profile"),
        ("http://pod.example:80/data/profile", "http://pod.example/data/profile"),
        ("HTTP://POD.EXAMPLE:80/data/profile", "http://pod.example/data/profile"),
        ("http://pod.example:443/data/profile", "http://pod.example:443/data/profile"),
        ("https://pod.example:80/data/profile", "https://pod.example:80/data/profile"),
        ("https://pod.example:8443/data/profile", "https://pod.example:8443/data/profile"),
        ("https://pod.example/data/profile?x=1", "https://pod.example/data/profile"),
        ("https://pod.example/data/profile?x=1#me", "https://pod.example/data/profile"),
        ("https://pod.example/data/profile#me", "https://pod.example/data/profile"),
        ("https://pod.example", "https://pod.example/"),
        ("https://pod.example/data/pro%66ile", "https://pod.example/data/profile"),
        ("https://pod.example/data/%7Euser", "https://pod.example/data/~user"),
        ("https://pod.example/data/%7euser", "https://pod.example/data/~user"),
        ("https://pod.example/data/a%2fb", "https://pod.example/data/a%2Fb"),
        ("https://pod.example/data/a%2Fb", "https://pod.example/data/a%2Fb"),
        ("https://pod.example/data/a%3ab", "https://pod.example/data/a%3Ab"),
        ("https://pod.example/data/Profile", "https://pod.example/data/Profile"),
        ("https://pod.example:notaport/x", ""),
    ],
)
def test_htu_normalisation(url, normal):
    assert normalize_htu(url) == normal


def test_an_encoded_slash_is_not_the_same_url_as_a_slash():
    assert normalize_htu("https://pod.example/data/a%2Fb") != normalize_htu(
        "https://pod.example/data/a/b"
    )


def test_ipv6_hosts_keep_their_brackets_so_the_port_stays_apart():
    assert normalize_htu("http://[::1]:8000/data/profile") == "http://[::1]:8000/data/profile"
    assert normalize_htu("http://[::1]:8000/data/profile") != normalize_htu(
        "http://[::1:8000]/data/profile"
    )


@pytest.mark.parametrize(
    "htu",
    [
        "HTTPS://POD.EXAMPLE/data/profile",
        "https://pod.example:443/data/profile",
        "https://pod.example/data/profile?x=1",
        "https://pod.example/data/profile#fragment",
        "https://pod.example/data/pro%66ile",
    ],
)
def test_a_proof_whose_htu_differs_only_in_normal_form_is_accepted(private_key, htu):
    assert verify(make_proof(private_key, htu=htu))


@pytest.mark.parametrize(
    ("htu", "url"),
    [
        ("https://pod.example/data/a%2Fb", "https://pod.example/data/a/b"),
        ("https://pod.example/data/a/b", "https://pod.example/data/a%2Fb"),
        ("https://pod.example/data/a/../profile", "https://pod.example/data/profile"),
        ("https://pod.example/data/%2e%2e/profile", "https://pod.example/profile"),
        ("https://pod.example/data/profile/", "https://pod.example/data/profile"),
        ("https://pod.example:notaport/x", "https://pod.example/x"),
    ],
)
def test_a_proof_for_another_path_is_refused_however_it_is_spelled(private_key, htu, url):
    with pytest.raises(InvalidProof, match="htu"):
        verify(make_proof(private_key, htu=htu), url=url)
