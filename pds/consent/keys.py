"""The pod's own signing keys: grants, receipts, status lists and notifications are signed
with the active one; retired keys stay published so what they signed keeps verifying.

A key is published (in every process's JWKS) before it signs anything. Each process holds the
keys it read for up to `RELOAD_SECONDS`, and vendors and HTTP caches may hold the JWKS for its
`max-age` (`JWKS_MAX_AGE`): so a rotated-in key starts signing only `PUBLICATION_DELAY` later,
once every process and every cache that honoured `max-age` has it (protocol §2.3, §13.6).
Until then the previous key keeps signing; afterwards it is retired.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from pds.consent.jose import public_jwk
from pds.store import Store, pods
from pds.store import keys as rows

RELOAD_SECONDS = 30  # how long a process serves (and signs by) the keys it read
JWKS_MAX_AGE = 300  # the JWKS response's Cache-Control max-age
# Longer than both together, with room for servers' clocks to differ by up to 30 seconds.
PUBLICATION_DELAY = dt.timedelta(seconds=RELOAD_SECONDS + JWKS_MAX_AGE + 30)


class KeyState(enum.StrEnum):
    NEXT = "next"  # published, signs from `signs_from`
    ACTIVE = "active"  # signs now
    RETIRED = "retired"  # signs nothing new, still published


@dataclasses.dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    private_key: Any
    public_jwk: dict[str, Any]
    signs_from: dt.datetime
    retired_at: dt.datetime | None  # when the next key takes over; None: no next key yet

    @property
    def jwk(self) -> dict[str, Any]:
        """The public key as the JWKS lists it."""
        return {**self.public_jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}


@dataclasses.dataclass(frozen=True)
class KeyStatus:
    """What one key of the pod does at a given time; no private part."""

    kid: str
    state: KeyState
    signs_from: dt.datetime
    signs_until: dt.datetime | None  # None: until a rotation names a successor
    jwk: dict[str, Any]


class PodKeys:
    """Signing keys of one pod, cached per process and reloaded when a `kid` is unknown."""

    def __init__(self, store: Store, pod_id: str, clock: Callable[[], dt.datetime]):
        self.store = store
        self.pod_id = pod_id
        self.clock = clock
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = []
        self._loaded_at = 0.0

    def _load(self) -> list[SigningKey]:
        started = time.monotonic()  # what is read is at least this fresh
        with self.store.read() as conn:
            loaded = rows.list_keys(conn, self.pod_id)
        if not loaded:
            with self.store.begin() as conn:
                pods.lock(conn, self.pod_id)  # two servers starting at once make one key
                if not rows.list_keys(conn, self.pod_id):
                    now = self.clock()
                    self._add(conn, now, signs_from=now)
                loaded = rows.list_keys(conn, self.pod_id)
        keys = [
            SigningKey(
                kid=r.kid,
                alg=r.alg,
                private_key=serialization.load_pem_private_key(r.private_pem.encode(), None),
                public_jwk=r.public_jwk,
                signs_from=r.signs_from,
                retired_at=r.retired_at,
            )
            for r in loaded
        ]
        with self._lock:
            self._keys, self._loaded_at = keys, started
        return keys

    def _current(self) -> list[SigningKey]:
        with self._lock:
            fresh = time.monotonic() - self._loaded_at < RELOAD_SECONDS and self._keys
            keys = self._keys
        return keys if fresh else self._load()

    @property
    def active(self) -> SigningKey:
        """The key that signs now: the newest whose `signs_from` has passed."""
        return _signing(self._current(), self.clock())

    def statuses(self) -> list[KeyStatus]:
        """Every key, newest first, with what it does now."""
        keys, now = self._current(), self.clock()
        active = _signing(keys, now)
        return [
            KeyStatus(
                kid=k.kid,
                state=(
                    KeyState.ACTIVE
                    if k is active
                    else KeyState.NEXT
                    if k.signs_from > now
                    else KeyState.RETIRED
                ),
                signs_from=k.signs_from,
                signs_until=k.retired_at,
                jwk=k.jwk,
            )
            for k in keys
        ]

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
        """Every published key, newest first: the next one, the active one, the retired ones."""
        return {"keys": [k.jwk for k in self._current()]}

    def sign(self, claims: dict[str, Any], typ: str, key: SigningKey | None = None) -> str:
        """A JWS of `claims` by `key` (by default the active key, as it is now)."""
        key = key or self.active
        return jwt.encode(
            claims, key.private_key, algorithm=key.alg, headers={"kid": key.kid, "typ": typ}
        )

    def add_next(self, conn: sa.Connection, now: dt.datetime, delay: dt.timedelta) -> str:
        """In the caller's transaction: a new Ed25519 key, published now, that signs from
        `now + delay` (or from when a key made earlier starts, if later: keys sign in the order
        they were made); the key signing until then retires at that moment."""
        if delay < dt.timedelta(0):
            raise ValueError("a key cannot sign before it is published")
        pods.lock(conn, self.pod_id)  # concurrent rotations are ordered
        latest = max((r.signs_from for r in rows.list_keys(conn, self.pod_id)), default=now)
        return self._add(conn, now, signs_from=max(now + delay, latest))

    def _add(self, conn: sa.Connection, now: dt.datetime, signs_from: dt.datetime) -> str:
        private = ed25519.Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        kid = secrets.token_urlsafe(12)
        key = rows.KeyRow(kid, "EdDSA", pem, public_jwk(private), now, signs_from, None)
        rows.add(conn, self.pod_id, key)
        rows.retire_others(conn, self.pod_id, keep_kid=kid, at=signs_from)
        return kid

    def reload(self) -> None:
        """Forget the keys this process holds: the next use reads them again."""
        with self._lock:
            self._loaded_at = 0.0


def _signing(keys: list[SigningKey], now: dt.datetime) -> SigningKey:
    """Of `keys` (newest first), the newest whose `signs_from` has passed. None has passed only
    on a clock behind the one that made the pod's first key, published when it was made: that
    key signs."""
    return next((k for k in keys if k.signs_from <= now), keys[-1])
