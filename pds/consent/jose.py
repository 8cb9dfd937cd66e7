"""JOSE building blocks: allow-listed algorithms, public JWKs, RFC 7638 thumbprints.

Only asymmetric signatures are accepted, and the algorithm is checked against the key type
here, never taken from a token on trust: no `none`, no HMAC (which would let a public key be
used as a shared secret).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from pds.consent.errors import InvalidInput

ALGORITHMS = ("EdDSA", "ES256")
"""Signature algorithms the pod accepts from vendors, and the only ones it signs with."""

_KEY_TYPES = {"EdDSA": ("OKP", "Ed25519"), "ES256": ("EC", "P-256")}
_THUMBPRINT_MEMBERS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}
_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint: the required members, sorted, no whitespace."""
    kty = jwk.get("kty")
    members = _THUMBPRINT_MEMBERS.get(kty) if isinstance(kty, str) else None
    if members is None or not all(isinstance(jwk.get(m), str) for m in members):
        raise InvalidInput("the JWK is not an Ed25519 (OKP) or P-256 (EC) public key")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


def public_key(jwk: Any, alg: Any) -> PublicKey:
    """The verification key for `jwk` if it is a public key of the kind `alg` requires."""
    if alg not in ALGORITHMS:
        raise InvalidInput(f"algorithm {alg!r} is not accepted: use one of {', '.join(ALGORITHMS)}")
    if not isinstance(jwk, dict):
        raise InvalidInput("the jwk header must be a JSON object")
    if _PRIVATE_MEMBERS & set(jwk):
        raise InvalidInput("the jwk header contains private key material")
    kty, crv = _KEY_TYPES[alg]
    if jwk.get("kty") != kty or jwk.get("crv") != crv:
        raise InvalidInput(
            f"{alg} needs a {crv} key ({kty}), not {jwk.get('kty')!r}/{jwk.get('crv')!r}"
        )
    try:
        key = jwt.PyJWK(jwk, algorithm=alg).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
        raise InvalidInput(f"the jwk is not a valid {crv} public key: {exc}") from None
    if not isinstance(key, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
        raise InvalidInput(f"the jwk is not a {crv} public key")
    return key


def public_jwk(key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> dict[str, str]:
    """The public half of a private key as a JWK."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        jwk: dict[str, str] = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    else:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return jwk


def unverified_header(token: str) -> dict[str, Any]:
    try:
        header: dict[str, Any] = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:  # DecodeError, and a header PyJWT itself refuses
        raise InvalidInput(f"not a compact JWS: {exc}") from None
    return header


def sha256_b64url(text: str) -> str:
    return b64url(hashlib.sha256(text.encode("ascii")).digest())
