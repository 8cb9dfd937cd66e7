"""The pod's own signing keys: grants, receipts, status lists and notifications are signed
with the newest one; retired keys stay published so grants they signed keep working."""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from pds.consent.jose import public_jwk
from pds.store import Store
from pds.store import grants as rows

RELOAD_SECONDS = 30  # how soon other processes start signing with a rotated key


@dataclasses.dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    private_key: Any
    public_jwk: dict[str, str]
    retired: bool


class PodKeys:
    """Signing keys of one pod, cached per process and reloaded when a `kid` is unknown."""

    def __init__(self, store: Store, pod_id: str):
        self.store = store
        self.pod_id = pod_id
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = []
        self._loaded_at = 0.0

    def _load(self) -> list[SigningKey]:
        with self.store.read() as conn:
            loaded = rows.keys(conn, self.pod_id)
        if not loaded:
            self.rotate()
            with self.store.read() as conn:
                loaded = rows.keys(conn, self.pod_id)
        keys = [
            SigningKey(
                kid=r["kid"],
                alg=r["alg"],
                private_key=serialization.load_pem_private_key(r["private_pem"].encode(), None),
                public_jwk=r["public_jwk"],
                retired=r["retired_at"] is not None,
            )
            for r in loaded
        ]
        with self._lock:
            self._keys, self._loaded_at = keys, time.monotonic()
        return keys

    def _current(self) -> list[SigningKey]:
        with self._lock:
            fresh = time.monotonic() - self._loaded_at < RELOAD_SECONDS and self._keys
            keys = self._keys
        return keys if fresh else self._load()

    @property
    def active(self) -> SigningKey:
        return next(k for k in self._current() if not k.retired)

    def verification_key(self, kid: Any) -> SigningKey | None:
        for key in self._current():
            if key.kid == kid:
                return key
        # Maybe rotated by another process: reload, but at most once a second, so tokens
        # with made-up kids cannot make every request hit the database.
        with self._lock:
            recent = time.monotonic() - self._loaded_at < 1.0
        if not recent:
            for key in self._load():
                if key.kid == kid:
                    return key
        return None

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {
            "keys": [
                {**k.public_jwk, "kid": k.kid, "alg": k.alg, "use": "sig"} for k in self._current()
            ]
        }

    def sign(self, claims: dict[str, Any], typ: str) -> str:
        key = self.active
        return jwt.encode(
            claims, key.private_key, algorithm=key.alg, headers={"kid": key.kid, "typ": typ}
        )

    def rotate(self) -> str:
        """Make a new Ed25519 key the signing key; earlier keys only verify from now on."""
        private = ed25519.Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        kid = secrets.token_urlsafe(12)
        with self.store.begin() as conn:
            rows.add_key(
                conn,
                self.pod_id,
                kid=kid,
                alg="EdDSA",
                private_pem=pem,
                public_jwk=public_jwk(private),
            )
            rows.retire_keys(conn, self.pod_id, except_kid=kid)
        with self._lock:
            self._loaded_at = 0.0
        return kid
