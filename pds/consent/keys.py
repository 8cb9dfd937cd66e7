"""The pod's own signing keys: grants, receipts, status lists and notifications are signed
with the newest one; retired keys stay published so grants they signed keep working."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import threading
import time
from typing import Any

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from pds.consent.jose import public_jwk
from pds.store import Store
from pds.store import keys as rows

RELOAD_SECONDS = 30  # how soon other processes start signing with a rotated key


@dataclasses.dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    private_key: Any
    public_jwk: dict[str, Any]
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
            loaded = rows.list_keys(conn, self.pod_id)
        if not loaded:
            with self.store.begin() as conn:
                if not rows.list_keys(conn, self.pod_id):
                    self.add_new(conn, dt.datetime.now(dt.UTC))
                loaded = rows.list_keys(conn, self.pod_id)
        keys = [
            SigningKey(
                kid=r.kid,
                alg=r.alg,
                private_key=serialization.load_pem_private_key(r.private_pem.encode(), None),
                public_jwk=r.public_jwk,
                retired=r.retired_at is not None,
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

    def verification_key(self, kid: object) -> SigningKey | None:
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

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "keys": [
                {**k.public_jwk, "kid": k.kid, "alg": k.alg, "use": "sig"} for k in self._current()
            ]
        }

    def sign(self, claims: dict[str, Any], typ: str, key: SigningKey | None = None) -> str:
        """A JWS of `claims` by `key` (by default the active key, as it is now)."""
        key = key or self.active
        return jwt.encode(
            claims, key.private_key, algorithm=key.alg, headers={"kid": key.kid, "typ": typ}
        )

    def add_new(self, conn: sa.Connection, now: dt.datetime) -> str:
        """In the caller's transaction: a new Ed25519 key signs from now on, the others retire."""
        private = ed25519.Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        kid = secrets.token_urlsafe(12)
        rows.add(conn, self.pod_id, rows.KeyRow(kid, "EdDSA", pem, public_jwk(private), now, None))
        rows.retire_others(conn, self.pod_id, keep_kid=kid, now=now)
        return kid

    def reload(self) -> None:
        """Forget the keys this process holds: the next use reads them again."""
        with self._lock:
            self._loaded_at = 0.0
