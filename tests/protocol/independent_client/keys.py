"""The vendor's key (§3): thumbprints, signing and DPoP proofs, with jwcrypto."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from jwcrypto import jwk, jws

from tests.protocol.independent_client.jose import ath, b64url, new_jti

VENDOR_ALGS = {"Ed25519": "EdDSA", "P-256": "ES256"}  # §3.1


def thumbprint(public_jwk: dict[str, str]) -> str:
    """RFC 7638 SHA-256 thumbprint, computed as §3.2 spells it out."""
    if public_jwk["kty"] == "OKP":
        members = {"crv": public_jwk["crv"], "kty": "OKP", "x": public_jwk["x"]}
    elif public_jwk["kty"] == "EC":
        members = {
            "crv": public_jwk["crv"],
            "kty": "EC",
            "x": public_jwk["x"],
            "y": public_jwk["y"],
        }
    else:
        raise ValueError(f"no thumbprint for kty {public_jwk['kty']!r} in this protocol")
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("ascii")
    return b64url(hashlib.sha256(canonical).digest())


class VendorKey:
    """A vendor key pair: Ed25519 (``EdDSA``) or P-256 (``ES256``)."""

    def __init__(self, key: jwk.JWK):
        public = key.export_public(as_dict=True)
        if public.get("crv") not in VENDOR_ALGS:
            raise ValueError("a vendor key is Ed25519 or P-256 (§3.1)")
        self._key = key
        self.alg = VENDOR_ALGS[public["crv"]]
        names = ("kty", "crv", "x", "y")
        self.public_jwk = {name: public[name] for name in names if name in public}
        self.vendor_id = thumbprint(self.public_jwk)

    @classmethod
    def generate(cls, curve: str = "Ed25519") -> VendorKey:
        kty = "OKP" if curve == "Ed25519" else "EC"
        return cls(jwk.JWK.generate(kty=kty, crv=curve))

    def sign(self, typ: str, claims: dict[str, Any]) -> str:
        header = {"alg": self.alg, "jwk": self.public_jwk, "typ": typ}
        token = jws.JWS(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
        token.add_signature(self._key, alg=None, protected=json.dumps(header))
        return token.serialize(compact=True)

    def proof(
        self,
        method: str,
        url: str,
        grant: str | None = None,
        *,
        iat: float | None = None,
        jti: str | None = None,
    ) -> str:
        """A DPoP proof (§7.2); ``ath`` only with a grant (polling carries none, §5)."""
        claims: dict[str, Any] = {
            "htm": method.upper(),
            "htu": url.split("#", 1)[0].split("?", 1)[0],
            "iat": int(time.time() if iat is None else iat),
            "jti": jti or new_jti(),
        }
        if grant is not None:
            claims["ath"] = ath(grant)
        return self.sign("dpop+jwt", claims)
