"""Proofs made by hand for the DPoP tests, and the one way they are checked."""

from __future__ import annotations

import base64
import json
import secrets

import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519

from pds.consent import jose
from pds.consent.dpop import verify_proof

NOW = 1_800_000_000
URL = "https://pod.example/data/profile"
GRANT = "a-grant-token"
ATH = jose.sha256_b64url(GRANT)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value) -> str:
    return b64url(json.dumps(value).encode())


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


def unsigned(header: dict, claims: dict) -> str:
    return f"{b64json(header)}.{b64json(claims)}."


def claims_now() -> dict:
    return {"htm": "GET", "htu": URL, "iat": NOW, "jti": "jti-of-a-proof", "ath": "x"}
