"""DPoP proofs (RFC 9449): a fresh JWT per request, signed by the key a grant is bound to."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from pds.consent import jose
from pds.consent.errors import InvalidInput, InvalidProof
from pds.consent.inputs import is_text, is_time

PROOF_TYP = "dpop+jwt"
MAX_AGE = 60  # seconds a proof is accepted after its iat
MAX_SKEW = 5  # seconds a proof's iat may be in the future (clock drift)
MAX_PROOF_BYTES = 4096


@dataclasses.dataclass(frozen=True)
class VerifiedProof:
    jkt: str  # RFC 7638 thumbprint of the proof key
    jwk: dict[str, Any]
    replay_key: str  # hash of (jkt, jti): stored to refuse a second use
    expires_at: dt.datetime  # after this the replay record may be forgotten


def verify_proof(
    proof: str | None,
    *,
    method: str,
    url: str,
    access_token: str | None = None,
    now: float | None = None,
) -> VerifiedProof:
    """Check a DPoP proof's form, signature and claims for this request (not yet replay)."""
    if not proof:
        raise InvalidProof("a DPoP proof is required in the DPoP header")
    if len(proof) > MAX_PROOF_BYTES or "," in proof:
        raise InvalidProof("send exactly one DPoP proof of at most 4 KB")
    now = time.time() if now is None else now
    try:
        # Decoded once: header, claims and signature come from this one parse.
        jws = jose.parse_compact(proof)
        header, claims = jws.header, jws.payload
        if header.get("typ") != PROOF_TYP:
            raise InvalidProof(f"the proof's typ must be {PROOF_TYP!r}")
        key = jose.public_key(header.get("jwk"), header.get("alg"))
        jose.verify_signature(jws, key, header["alg"])
    except InvalidInput as exc:
        raise InvalidProof(f"invalid DPoP proof: {exc}") from None
    for name in ("iat", "jti", "htm", "htu"):
        if name not in claims:
            raise InvalidProof(f"invalid DPoP proof: the proof has no {name!r} claim")
    _check_validity_window(claims, now)

    iat, jti = claims["iat"], claims["jti"]
    if not is_time(iat):
        raise InvalidProof("the proof's iat must be a number")
    if iat > now + MAX_SKEW:
        raise InvalidProof("the proof's iat is in the future: check the client's clock")
    if iat < now - MAX_AGE:
        raise InvalidProof(f"the proof was not made within the last {MAX_AGE} seconds")
    if not is_text(jti):
        raise InvalidProof("invalid DPoP proof: JWT ID must be a string")
    if not 8 <= len(jti) <= 128:
        raise InvalidProof("the proof's jti must be a unique string of 8 to 128 characters")
    if claims["htm"] != method:
        raise InvalidProof(f"the proof is for {claims['htm']!r}, not this {method} request")
    if not isinstance(claims["htu"], str) or _htu(claims["htu"]) != normalize_htu(url):
        raise InvalidProof("the proof's htu does not match this request's URL")
    if access_token is not None and claims.get("ath") != jose.sha256_b64url(access_token):
        raise InvalidProof("the proof's ath does not match the grant it is sent with")

    jkt = jose.thumbprint(header["jwk"])
    replay_key = hashlib.sha256(f"{jkt} {jti}".encode()).hexdigest()
    expires = dt.datetime.fromtimestamp(now + MAX_AGE + MAX_SKEW, dt.UTC)
    return VerifiedProof(jkt, header["jwk"], replay_key, expires)


def _check_validity_window(claims: dict[str, Any], now: float) -> None:
    """A proof needs no exp or nbf (RFC 9449 4.2), but one that has them must be within them."""
    for name in ("exp", "nbf"):
        value = claims.get(name)
        if name in claims and not is_time(value):
            raise InvalidProof(f"invalid DPoP proof: {name} must be a number")
    if "exp" in claims and claims["exp"] <= now:
        raise InvalidProof("invalid DPoP proof: the proof has expired (exp)")
    if "nbf" in claims and claims["nbf"] > now + MAX_SKEW:
        raise InvalidProof("invalid DPoP proof: the proof is not yet valid (nbf)")


_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]")


def _htu(claimed: str) -> str | None:
    """The proof's htu, normalised; None for one that is not a URL (`http://[`)."""
    try:
        return normalize_htu(claimed)
    except ValueError:
        return None


def normalize_htu(url: str) -> str:
    """RFC 3986 syntax-based normalisation, without query and fragment (RFC 9449 4.3)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets, or the port would merge in
    default = {"http": 80, "https": 443}.get(scheme)
    try:
        port = parts.port
    except ValueError:
        return ""
    netloc = host if port in (None, default) else f"{host}:{port}"

    def escape(match: re.Match[str]) -> str:
        char = unquote(match.group(0))
        return char if _UNRESERVED.fullmatch(char) else match.group(0).upper()

    path = _ESCAPE.sub(escape, parts.path) or "/"
    return f"{scheme}://{netloc}{path}"
