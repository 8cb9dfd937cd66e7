"""A provider's pods: many pods in one database, each at its own URL, administered by name.

One `Provider` per server process opens pods on demand and keeps the most recently used open
(their signing keys and grant checks warm). What it read of their rows (suspended? quota?) it
trusts for FRESH_FOR, then reads again for all of them in one query, so a pod suspended or
deleted through any server stops answering on every server within that time, without a query
per request.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import re
import threading
import time
from typing import IO

import argon2

from pds import archive
from pds.consent.context import Clock
from pds.consent.errors import InvalidInput, PodExists, PodNotFound, PodSuspended
from pds.consent.notifications import Deliverer
from pds.consent.pod import Pod, assemble_pod
from pds.resources import Documents, PodRef
from pds.store import AlreadyExists, NotFound, Store, pods, require_current_schema
from pds.store import resources as resource_rows
from pds.store.store import utcnow

# A DNS label, so that every name works as a host name as well as a path segment.
NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Names that would be confused with the provider's own pages, mail or the paths it serves.
RESERVED = frozenset(
    [
        "admin",
        "api",
        "app",
        "www",
        "mail",
        "smtp",
        "imap",
        "ftp",
        "ns",
        "ns1",
        "ns2",
        "static",
        "assets",
        "status",
        "healthz",
        "readyz",
        "metrics",
        "well-known",
        "pods",
        "provider",
        "root",
        "support",
        "help",
        "login",
    ]
)
FRESH_FOR = 2.0  # seconds
OPEN_PODS = 512
MISSING_REMEMBERED = 10_000


@dataclasses.dataclass(frozen=True)
class PodSummary:
    name: str
    url: str
    created_at: dt.datetime
    claimed: bool
    suspended_at: dt.datetime | None
    quota_bytes: int | None  # None: no limit
    used_bytes: int


@dataclasses.dataclass
class _Open:
    pod: Pod
    suspended: bool


class Provider:
    def __init__(
        self,
        store: Store,
        url_template: str,
        *,
        default_quota: int | None,
        password_hasher: argon2.PasswordHasher | None = None,
        allow_private_callbacks: bool = False,
        clock: Clock = utcnow,
    ):
        require_current_schema(store.engine)
        self.store = store
        self.url_template = url_template
        self.default_quota = default_quota
        self.password_hasher = password_hasher
        self.allow_private_callbacks = allow_private_callbacks
        self.clock = clock
        self.documents = Documents(store)  # its caches are keyed by pod: one for all
        self.deliverer = Deliverer(store, clock, pod_id=None, allow_private=allow_private_callbacks)
        self._open: collections.OrderedDict[str, _Open] = collections.OrderedDict()
        self._lock = threading.Lock()
        # Names just found to be no pod's: asked again within FRESH_FOR, no query (floods of
        # made-up host names cost the database nothing).
        self._missing: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._refreshing = threading.Lock()
        self._refreshed = time.monotonic()

    def url_of(self, name: str) -> str:
        return self.url_template.replace("{pod}", name).rstrip("/")

    # -- serving ----------------------------------------------------------------------------

    def pod(self, name: str) -> Pod:
        """The pod `name`, to serve a request; PodNotFound, PodSuspended."""
        if time.monotonic() - self._refreshed > FRESH_FOR:
            self._refresh()
        with self._lock:
            found = self._open.get(name)
            if found is not None:
                self._open.move_to_end(name)
        if found is None:
            found = self._look(name)
        if found.suspended:
            raise PodSuspended(f"the pod {name} is suspended by its provider")
        return found.pod

    def _refresh(self) -> None:
        """Read the rows of every open pod again, in one query (one thread does it)."""
        if not self._refreshing.acquire(blocking=False):
            return  # another thread is at it: its answer is fresh enough
        try:
            self._refreshed = time.monotonic()
            with self._lock:
                names = list(self._open)
            if not names:
                return
            with self.store.read() as conn:
                rows = {row.id: row for row in pods.several(conn, names)}
            with self._lock:
                for name in names:
                    row, found = rows.get(name), self._open.get(name)
                    if found is None:
                        continue
                    if row is None or found.pod.ctx.ref != self._ref(row):
                        del self._open[name]  # deleted, or moved or given another quota
                    else:
                        found.suspended = row.suspended_at is not None
        finally:
            self._refreshing.release()

    def _ref(self, row: pods.PodRow) -> PodRef:
        return PodRef(row.id, row.base_url, self._quota(row.quota_bytes))

    def _look(self, name: str) -> _Open:
        if not NAME.fullmatch(name):
            raise PodNotFound(f"there is no pod {name[:63]!r} here")
        with self._lock:
            missing_since = self._missing.get(name)
        if missing_since is not None and time.monotonic() - missing_since <= FRESH_FOR:
            raise PodNotFound(f"there is no pod {name!r} here")
        try:
            with self.store.read() as conn:
                row = pods.get(conn, name)
        except NotFound:
            with self._lock:
                self._open.pop(name, None)
                self._missing[name] = time.monotonic()
                self._missing.move_to_end(name)
                while len(self._missing) > MISSING_REMEMBERED:
                    self._missing.popitem(last=False)
            raise PodNotFound(f"there is no pod {name!r} here") from None
        found = _Open(self._assemble(self._ref(row)), row.suspended_at is not None)
        with self._lock:
            self._open[name] = found
            self._open.move_to_end(name)
            while len(self._open) > OPEN_PODS:
                self._open.popitem(last=False)
        return found

    def _assemble(self, ref: PodRef) -> Pod:
        return assemble_pod(
            self.store,
            ref,
            documents=self.documents,
            deliverer=self.deliverer,
            password_hasher=self.password_hasher,
            allow_private_callbacks=self.allow_private_callbacks,
            clock=self.clock,
        )

    def _quota(self, quota: int | None) -> int | None:
        value = self.default_quota if quota is None else quota
        return value or None  # 0: no limit

    def forget(self) -> None:
        """Drop the open pods and the database connections (before a fork, at exit)."""
        with self._lock:
            self._open.clear()
        self.store.dispose()

    # -- administration ---------------------------------------------------------------------

    def create(self, name: str, *, quota_bytes: int | None = None) -> tuple[PodSummary, str]:
        """A new, unclaimed pod; returns it and the setup code its customer claims it with."""
        if not NAME.fullmatch(name) or name in RESERVED:
            raise InvalidInput(
                f"{name[:63]!r} cannot name a pod: use 1 to 63 lowercase letters, digits and "
                "hyphens, not starting or ending with a hyphen"
                + (", and not a name the provider keeps for itself" if name in RESERVED else "")
            )
        _check_quota(quota_bytes)
        try:
            with self.store.begin() as conn:
                pods.create(conn, name, self.url_of(name))
                if quota_bytes is not None:
                    pods.update(conn, name, quota_bytes=quota_bytes)
        except AlreadyExists:
            raise PodExists(f"there is already a pod {name!r}") from None
        with self._lock:
            self._missing.pop(name, None)
        pod = self._look(name).pod
        _ = pod.signing_kid  # its first key now, never inside a customer's request
        code = pod.account.issue_setup_code()
        return self.get(name), code

    def get(self, name: str) -> PodSummary:
        with self.store.read() as conn:
            try:
                row = pods.get(conn, name)
            except NotFound:
                raise PodNotFound(f"there is no pod {name!r} here") from None
            used = resource_rows.stored_size(conn, name)
        return self._summary(row, used)

    def listed(self, *, after: str = "", limit: int = 1000) -> list[PodSummary]:
        """Pods by name, without their storage use (that is one query per pod: see `get`)."""
        with self.store.read() as conn:
            rows = pods.listed(conn, after=after, limit=limit)
        return [self._summary(row, None) for row in rows]

    def _summary(self, row: pods.PodRow, used: int | None) -> PodSummary:
        return PodSummary(
            name=row.id,
            url=row.base_url,
            created_at=row.created_at,
            claimed=row.claimed_at is not None,
            suspended_at=row.suspended_at,
            quota_bytes=self._quota(row.quota_bytes),
            used_bytes=used if used is not None else -1,
        )

    def suspend(self, name: str) -> PodSummary:
        return self._change(name, suspended_at=self.clock())

    def resume(self, name: str) -> PodSummary:
        return self._change(name, suspended_at=None)

    def set_quota(self, name: str, quota_bytes: int | None) -> PodSummary:
        """None: the server's default quota; 0: no limit."""
        _check_quota(quota_bytes)
        return self._change(name, quota_bytes=quota_bytes)

    def _change(self, name: str, **values: object) -> PodSummary:
        try:
            with self.store.begin() as conn:
                pods.update(conn, name, **values)
        except NotFound:
            raise PodNotFound(f"there is no pod {name!r} here") from None
        with self._lock:
            self._open.pop(name, None)
        return self.get(name)

    def delete(self, name: str) -> dict[str, int]:
        """Delete the pod and everything of it: documents, grants, audit, keys, sessions (their
        signing secret is the pod's row). Returns the rows deleted, by table."""
        try:
            with self.store.begin() as conn:
                deleted = pods.delete_everything(conn, name)
        except NotFound:
            raise PodNotFound(f"there is no pod {name!r} here") from None
        with self._lock:
            self._open.pop(name, None)
        return deleted

    def open_for_admin(self, name: str) -> Pod:
        """The pod `name`, suspended or not (for the provider's own work on it)."""
        return self._look(name).pod

    def export(self, name: str, out: IO[bytes], progress: archive.Progress | None = None) -> int:
        """The pod as an export archive (`pds import` reads it), suspended or not."""
        return self.open_for_admin(name).export_archive(out, progress)


def _check_quota(quota_bytes: int | None) -> None:
    if quota_bytes is not None and quota_bytes < 0:
        raise InvalidInput("a quota is a number of bytes, 0 for no limit")
