"""The vendor's key pair: its identity towards every pod (the vendor id is its thumbprint)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

ALGORITHMS = {"EdDSA": "Ed25519", "ES256": "P-256"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class VendorKey:
    """An Ed25519 (default) or P-256 private key.

    >>> key = VendorKey.generate()
    >>> key.save("vendor-key.pem")            # doctest: +SKIP  (mode 0600)
    >>> key = VendorKey.load("vendor-key.pem")  # doctest: +SKIP
    >>> len(key.thumbprint)
    43
    """

    def __init__(self, private_key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        if isinstance(private_key, ed25519.Ed25519PrivateKey):
            self.alg = "EdDSA"
            public = jwt.algorithms.OKPAlgorithm.to_jwk(private_key.public_key())
        elif isinstance(private_key, ec.EllipticCurvePrivateKey) and isinstance(
            private_key.curve, ec.SECP256R1
        ):
            self.alg = "ES256"
            public = jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key())
        else:
            raise TypeError("a vendor key is Ed25519 or P-256")
        self._private = private_key
        self.public_jwk: dict[str, str] = {
            k: v for k, v in json.loads(public).items() if k in ("kty", "crv", "x", "y")
        }

    @classmethod
    def generate(cls, alg: str = "EdDSA") -> VendorKey:
        if alg == "EdDSA":
            return cls(ed25519.Ed25519PrivateKey.generate())
        if alg == "ES256":
            return cls(ec.generate_private_key(ec.SECP256R1()))
        raise ValueError(f"unsupported algorithm {alg!r}: use one of {', '.join(ALGORITHMS)}")

    @classmethod
    def from_pem(cls, pem: bytes, password: bytes | None = None) -> VendorKey:
        key = serialization.load_pem_private_key(pem, password)
        if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError("the key must be an Ed25519 or a P-256 private key")
        return cls(key)

    @classmethod
    def load(cls, path: str | Path, password: bytes | None = None) -> VendorKey:
        return cls.from_pem(Path(path).read_bytes(), password)

    def to_pem(self, password: bytes | None = None) -> bytes:
        encryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    def save(self, path: str | Path, password: bytes | None = None) -> None:
        """Write the private key as PKCS#8 PEM, readable by the owner only."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self.to_pem(password))

    @property
    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint (SHA-256): the vendor id pods know this key by."""
        members = (
            ("crv", "kty", "x", "y") if self.public_jwk["kty"] == "EC" else ("crv", "kty", "x")
        )
        canonical = json.dumps(
            {m: self.public_jwk[m] for m in members}, separators=(",", ":"), sort_keys=True
        )
        return _b64url(hashlib.sha256(canonical.encode()).digest())

    def sign(self, claims: dict[str, Any], typ: str, *, embed_jwk: bool = True) -> str:
        """A compact JWS of `claims`, with the public key in the header."""
        headers: dict[str, Any] = {"typ": typ}
        if embed_jwk:
            headers["jwk"] = self.public_jwk
        return jwt.encode(claims, self._private, algorithm=self.alg, headers=headers)
