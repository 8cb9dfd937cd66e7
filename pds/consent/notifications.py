"""Signed notifications to vendors' callbacks (revocations, changes), through an outbox.

A notification is queued in the same transaction as the change it reports, then delivered by a
background thread with retries. Delivery refuses private and local addresses (SSRF) unless the
pod is configured for a development setup where vendors run on the same machine.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Callable
from typing import Any, Protocol

import sqlalchemy as sa

from pds.consent import callbacks
from pds.consent.callbacks import DeliveryRefused
from pds.consent.keys import PodKeys
from pds.store import Store
from pds.store import outbox as rows

NOTIFICATION_TYP = "pds-notification+jwt"
MEDIA_TYPE = "application/jwt"
RETRY_DELAYS = (10, 60, 300, 1800, 7200, 21600)  # seconds after each failed attempt
POLL_SECONDS = 30
BATCH = 20  # notifications tried per round
log = logging.getLogger(__name__)


class Addressee(Protocol):
    """The grant a notification is about: its vendor, and where that vendor listens."""

    @property
    def id(self) -> str: ...
    @property
    def vendor_id(self) -> str: ...
    @property
    def callback(self) -> str | None: ...


class Deliverer:
    """Delivers due notifications from one background thread per process (started on first
    use): those of one pod, or of every pod in the database (`pod_id=None`, provider mode).

    Notifications are signed when queued, so delivering one needs no pod: only its URL and body.
    A delivery that fails is retried after each of RETRY_DELAYS; after the last it is marked
    failed, shown to the customer as given up, and never tried again.
    """

    def __init__(
        self,
        store: Store,
        clock: Callable[[], dt.datetime],
        *,
        pod_id: str | None,
        allow_private: bool = False,
    ):
        self.store = store
        self.clock = clock
        self.pod_id = pod_id
        self.allow_private = allow_private
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def stop(self) -> None:
        """End the background thread after its current round (a server shutting down)."""
        self._stopped = True
        self._wake.set()

    def kick(self) -> None:
        """Deliver soon, from this process's background thread."""
        if self._stopped:
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="pds-outbox", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()
            if self._stopped:
                return
            try:
                while self._round()[0] == BATCH:  # a backlog: go on without waiting
                    pass
            except Exception:  # the thread must survive a database hiccup; retried next round
                log.exception("notification delivery failed")

    def deliver_due(self) -> int:
        """Try the notifications that are due (at most BATCH); returns how many were delivered."""
        return self._round()[1]

    def _round(self) -> tuple[int, int]:
        """(tried, delivered)"""
        delivered = 0
        with self.store.read() as conn:
            due = rows.due(conn, self.pod_id, self.clock(), BATCH)
        for item in due:
            with self.store.begin() as conn:
                lease = self.clock() + dt.timedelta(seconds=60)
                if not rows.claim(conn, item, lease):
                    continue  # another worker is delivering it
            error = None
            try:
                callbacks.post(item.url, item.body, MEDIA_TYPE, allow_private=self.allow_private)
            except DeliveryRefused as exc:
                error = str(exc) or type(exc).__name__
            attempts = item.attempts + 1
            give_up = error is not None and attempts > len(RETRY_DELAYS)
            now = self.clock()
            delay = RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)]
            with self.store.begin() as conn:
                rows.attempted(
                    conn,
                    item,
                    delivered_at=now if error is None else None,
                    error=error,
                    next_attempt_at=now + dt.timedelta(seconds=delay),
                    failed_at=now if give_up else None,
                )
            delivered += error is None
            if give_up:
                log.warning(
                    "gave up a notification of pod %s after %d attempts", item.pod_id, attempts
                )
        return len(due), delivered


class Outbox:
    """One pod's notifications: signed and queued in the caller's transaction, then handed to
    the process's `Deliverer`."""

    def __init__(
        self,
        store: Store,
        pod_id: str,
        base_url: str,
        keys: PodKeys,
        clock: Callable[[], dt.datetime],
        deliverer: Deliverer,
    ):
        self.store = store
        self.pod_id = pod_id
        self.base_url = base_url
        self.keys = keys
        self.clock = clock
        self.deliverer = deliverer

    def queue(self, conn: sa.Connection, grant: Addressee, payload: dict[str, Any]) -> None:
        """Queue a signed notification for `grant`'s callback inside the caller's transaction."""
        if grant.callback is None:
            return
        now = self.clock()
        claims = {
            "iss": self.base_url,
            "aud": grant.vendor_id,
            "iat": int(now.timestamp()),
            "jti": secrets.token_urlsafe(12),
            **payload,
        }
        body = self.keys.sign(claims, NOTIFICATION_TYP)
        rows.queue(conn, self.pod_id, grant.id, grant.callback, body, now)

    def kick(self) -> None:
        """Deliver soon (after the caller's transaction committed)."""
        self.deliverer.kick()

    def deliver_due(self) -> int:
        return self.deliverer.deliver_due()
