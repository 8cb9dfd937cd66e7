"""The relay's own Ed25519 signing key: made on first start, kept in its database, published
as a JWKS. It signs the notices vendors' subscriptions receive (docs/relay.md §6.3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from pds.consent.jose import public_jwk, thumbprint
from pds.relay.store import RelayStore

JWKS_MAX_AGE = 300


@dataclasses.dataclass(frozen=True)
class RelayKey:
    kid: str  # the RFC 7638 thumbprint of the public key
    private_key: ed25519.Ed25519PrivateKey

    @property
    def jwk(self) -> dict[str, Any]:
        """The public key as the JWKS lists it."""
        return {**public_jwk(self.private_key), "kid": self.kid, "alg": "EdDSA", "use": "sig"}

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [self.jwk]}

    def sign(self, claims: dict[str, Any], typ: str) -> str:
        return jwt.encode(
            claims, self.private_key, algorithm="EdDSA", headers={"kid": self.kid, "typ": typ}
        )


def load_or_make(store: RelayStore, now: dt.datetime) -> RelayKey:
    """The relay's key; made now if the database has none (two servers starting at once
    agree on one: the first row wins)."""
    made = ed25519.Ed25519PrivateKey.generate()
    pem = made.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with store.begin() as conn:
        store.add_key_once(conn, thumbprint(public_jwk(made)), pem, now)
        kid, kept = store.key(conn)
    private = serialization.load_pem_private_key(kept.encode(), None)
    if not isinstance(private, ed25519.Ed25519PrivateKey):
        raise ValueError("the relay's stored signing key is not an Ed25519 key")
    return RelayKey(kid, private)
