"""JOSE building blocks: allow-listed algorithms, public JWKs, RFC 7638 thumbprints.

Only asymmetric signatures are accepted, and the algorithm is checked against the key type
here, never taken from a token on trust: no `none`, no HMAC (which would let a public key be
used as a shared secret).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import re
from typing import Any

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from pds.consent.errors import InvalidInput

ALGORITHMS = ("EdDSA", "Ed25519", "ES256")
"""Signature algorithms the pod accepts from vendors. `Ed25519` is RFC 9864's fully specified
name for what `EdDSA` means here; the pod itself signs with `EdDSA`."""

_KEY_TYPES = {"EdDSA": ("OKP", "Ed25519"), "Ed25519": ("OKP", "Ed25519"), "ES256": ("EC", "P-256")}
_THUMBPRINT_MEMBERS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
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
        key = jwt.PyJWK(jwk, algorithm="EdDSA" if alg == "Ed25519" else alg).key
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


# -- compact JWS, decoded once ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CompactJWS:
    """A compact JWS (RFC 7515 7.1) taken apart, its signature not yet checked."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


def parse_compact(token: str) -> CompactJWS:
    """The three parts of `token`, strictly: base64url without padding, JSON objects.

    A `crit` header is refused (RFC 7515 4.1.11): this pod understands no extension.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidInput("not a compact JWS: it needs three parts separated by dots")
    try:
        header = json.loads(_b64url_decode(parts[0]))
        payload = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError) as exc:  # binascii.Error and JSON errors are too
        raise InvalidInput(f"not a compact JWS: {exc}") from None
    except RecursionError:
        raise InvalidInput("not a compact JWS: its JSON is nested too deeply") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise InvalidInput("not a compact JWS: the header and payload must be JSON objects")
    if "crit" in header:
        raise InvalidInput("the JWS header lists critical extensions (crit) this pod lacks")
    if not isinstance(header.get("kid", ""), str):
        raise InvalidInput("the JWS header's kid must be a string")
    return CompactJWS(header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def verify_signature(jws: CompactJWS, key: PublicKey, alg: str) -> None:
    """Raise InvalidInput unless `key` signed `jws` with `alg` (one of ALGORITHMS)."""
    try:
        if alg in ("EdDSA", "Ed25519") and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(jws.signature, jws.signing_input)
            return
        if alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
            if len(jws.signature) != 64:  # R || S, 32 bytes each (RFC 7518 3.4)
                raise InvalidSignature
            r, s = (int.from_bytes(jws.signature[i : i + 32], "big") for i in (0, 32))
            key.verify(encode_dss_signature(r, s), jws.signing_input, ec.ECDSA(hashes.SHA256()))
            return
    except InvalidSignature:
        raise InvalidInput("Signature verification failed") from None
    raise InvalidInput(f"a {type(key).__name__} cannot verify {alg}")


@dataclasses.dataclass(frozen=True)
class SelfSigned:
    """A JWS signed by the key in its own header (a vendor's request or offer), verified."""

    claims: dict[str, Any]
    jwk: dict[str, Any]
    thumbprint: str  # the signer's id (RFC 7638)


def verify_self_signed(token: str, typ: str, what: str) -> SelfSigned:
    """`token` if it is a compact JWS of type `typ`, signed by the public key in its `jwk`
    header with an allowed algorithm; InvalidInput naming `what` ("the offer") otherwise."""
    jws = parse_compact(token)
    if jws.header.get("typ") != typ:
        raise InvalidInput(f"{what}'s typ header must be {typ!r}")
    jwk = jws.header.get("jwk")
    if not isinstance(jwk, dict):
        raise InvalidInput(f"{what}'s header must carry the vendor's public key (jwk)")
    key = public_key(jwk, jws.header.get("alg"))
    signer = thumbprint(jwk)
    try:
        verify_signature(jws, key, jws.header["alg"])
    except InvalidInput as exc:
        raise InvalidInput(f"{what}'s signature is invalid: {exc}") from None
    return SelfSigned(jws.payload, jwk, signer)


def _b64url_decode(segment: str) -> bytes:
    if "=" in segment:
        raise ValueError("base64url in JWS has no padding")
    if not _B64URL.fullmatch(segment):  # b64decode would also take the + and / of base64
        raise ValueError("a JWS part is base64url: A-Z a-z 0-9 - _ only")
    try:
        return base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)
    except binascii.Error as exc:
        raise ValueError(f"invalid base64url: {exc}") from None
