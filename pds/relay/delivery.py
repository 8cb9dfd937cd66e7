"""Notices to vendors' subscriptions, through an outbox delivered by a background thread.

A notice is queued in the transaction that stores the announcement it reports, signed once,
and resent unchanged until the vendor's callback answers 2xx or the relay gives up
(docs/relay.md §6.4). Delivered and abandoned notices are deleted: the relay keeps nothing of
who was told what.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from pds.consent import callbacks
from pds.consent.callbacks import DeliveryRefused
from pds.relay.protocol import JWT_MEDIA_TYPE
from pds.relay.store import RelayStore

RETRY_DELAYS = (10, 60, 300, 1800, 7200, 21600)  # seconds after each failed attempt
LEASE = dt.timedelta(seconds=60)  # one worker per attempt; due again if it stops mid-way
POLL_SECONDS = 30
BATCH = 20
log = logging.getLogger(__name__)


class NoticeOutbox:
    def __init__(
        self,
        store: RelayStore,
        clock: Callable[[], dt.datetime],
        *,
        allow_private: bool,
    ):
        self.store = store
        self.clock = clock
        self.allow_private = allow_private
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        """Deliver soon, from this process's background thread (started on first use, so a
        server forked from a master that built the app starts its own)."""
        with self._lock:
            if self._stop.is_set():
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="relay-notices", daemon=True)
                self._thread.start()
        self._wake.set()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the background thread (after the attempt it is making, if any)."""
        with self._lock:
            self._stop.set()
            self._wake.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                while self.deliver_due() == BATCH and not self._stop.is_set():
                    pass
            except Exception:  # the thread must outlive a database hiccup; retried next round
                log.exception("notice delivery failed")

    def deliver_due(self) -> int:
        """Attempt every notice that is due (up to a batch); how many were attempted."""
        with self.store.read() as conn:
            due = self.store.due_notices(conn, self.clock(), BATCH)
        for notice in due:
            with self.store.begin() as conn:
                if not self.store.claim_notice(conn, notice, self.clock() + LEASE):
                    continue
            try:
                callbacks.post(
                    notice.url, notice.body, JWT_MEDIA_TYPE, allow_private=self.allow_private
                )
                failed = False
            except DeliveryRefused as exc:
                log.info(
                    "notice %s not delivered, attempt %s: %s", notice.id, notice.attempts + 1, exc
                )
                failed = True
            with self.store.begin() as conn:
                if not failed or notice.attempts + 1 > len(RETRY_DELAYS):
                    self.store.drop_notice(conn, notice.id)
                else:
                    delay = dt.timedelta(seconds=RETRY_DELAYS[notice.attempts])
                    self.store.notice_failed(conn, notice.id, self.clock() + delay)
        return len(due)
