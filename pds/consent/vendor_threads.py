"""The vendors' side of conversations: posting signed messages and reading their own threads.

A vendor proves its key with each request (a signed message, or a DPoP proof) and reaches only
its own threads; a thread about an offer only at the offer's address until the customer
accepts it (see `threads.knows_the_pod`). Caps and replay records are per thread: shared ones
would let a vendor that knows this pod tell that a thread about an anonymous offer is here too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets

import sqlalchemy as sa

from pds.consent.audit import Action, Outcome
from pds.consent.context import PodContext
from pds.consent.errors import InvalidInput, OfferNotFound, ThreadClosed, ThreadNotFound
from pds.consent.hourly import HOUR, check_cap
from pds.consent.inputs import is_id
from pds.consent.messages import SignedMessage, read_signed
from pds.consent.offers import Offer
from pds.consent.threads import (
    THREADS_PATH,
    Message,
    Thread,
    Threads,
    ThreadView,
    knows_the_pod,
    latest_grant,
    message_of,
    thread_of,
)
from pds.store import AlreadyExists, NotFound, pods, replay
from pds.store import threads as rows

MESSAGES_PER_THREAD_HOUR = 30  # from the vendor, in one thread
THREADS_PER_VENDOR_HOUR = 5  # that a vendor starts
NOT_FOUND = "there is no thread here for your key"


@dataclasses.dataclass(frozen=True)
class Posted:
    """A vendor's message, stored: in which thread, and the thread's state then."""

    thread_id: str
    state: str
    message: Message


class VendorThreads:
    def __init__(self, ctx: PodContext, threads: Threads):
        self.ctx = ctx
        self.threads = threads

    def vendor_start(self, signed: str, url: str) -> Posted:
        """A vendor with a live grant starts a thread; its message's object names the subject.
        The thread shows the name the vendor gave in its access request, not one of its own."""
        message = read_signed(signed, url, self.ctx.clock())
        if message.subject is None:
            raise InvalidInput("a message that starts a thread gives its subject (the Note's name)")
        now = self.ctx.clock()
        with self.ctx.store.begin() as conn:
            pods.lock(conn, self.ctx.id)  # concurrent starts are counted one after the other
            grant = latest_grant(conn, self.ctx.id, message.vendor_id, now, live=True)
            if grant is None:
                raise ThreadNotFound(
                    "only a vendor holding a live grant from this customer can start a thread"
                )
            since = now - HOUR
            count, oldest = rows.count_started_since(conn, self.ctx.id, message.vendor_id, since)
            check_cap(count, oldest, THREADS_PER_VENDOR_HOUR, since, "new threads an hour")
            row = self.threads.new_thread(
                conn, message.vendor_id, grant.vendor, message.subject, "vendor"
            )
            return self._take(conn, row.id, message)

    def vendor_post(self, thread_id: str, signed: str, url: str) -> Posted:
        """A vendor's message to one of its threads."""
        message = read_signed(signed, url, self.ctx.clock())
        with self.ctx.store.begin() as conn:
            row = self._vendors_thread(conn, thread_id, message.vendor_id)
            return self._take(conn, row.id, message)

    def offer_post(self, reply_token: str, offer_id: str, signed: str, url: str) -> Posted:
        """A vendor's message about its offer (the thread is made by the first message); none
        once the customer declined the offer."""
        message = read_signed(signed, url, self.ctx.clock())
        offer = self._vendors_offer(reply_token, offer_id, message.vendor_id)
        if offer.status == "declined":
            raise ThreadClosed("the customer declined this offer: its thread takes no messages")
        return self.threads.in_offer_thread(
            offer, lambda conn, row: self._take(conn, row.id, message)
        )

    def vendor_view(self, thread_id: str, vendor_id: str) -> ThreadView:
        with self.ctx.store.read() as conn:
            row = self._vendors_thread(conn, thread_id, vendor_id)
        return self.threads.view(row.id)

    def offer_view(self, reply_token: str, offer_id: str, vendor_id: str) -> ThreadView | None:
        """The thread about the vendor's offer; None while nobody has written."""
        offer = self._vendors_offer(reply_token, offer_id, vendor_id)
        with self.ctx.store.read() as conn:
            row = rows.of_offer(conn, self.ctx.id, offer.id)
        return self.threads.view(row.id) if row else None

    def of_vendor(self, vendor_id: str) -> list[Thread]:
        """The threads a vendor (it proved its key) may reach at the pod, most recent first."""
        with self.ctx.store.read() as conn:
            listed = rows.listed(conn, self.ctx.id, vendor_id=vendor_id)
            return [thread_of(x) for x in listed if knows_the_pod(conn, self.ctx.id, x.thread)]

    def _take(self, conn: sa.Connection, thread_id: str, message: SignedMessage) -> Posted:
        """Store a vendor's message in its thread: open, not flooded, not replayed.

        The thread's row is locked first, so that its state and counts hold until the message
        is in. Caps and replay records are per thread: shared ones would let a vendor that
        knows this pod tell that a thread about an anonymous offer is here too.
        """
        row = rows.lock(conn, self.ctx.id, thread_id)
        if row.state == "closed":
            raise ThreadClosed("the customer closed this thread: it takes no more messages")
        now = self.ctx.clock()
        since = now - HOUR
        count, oldest = rows.count_since(conn, self.ctx.id, row.id, message.vendor_id, since)
        check_cap(count, oldest, MESSAGES_PER_THREAD_HOUR, since, "messages an hour in a thread")
        self.threads.check_length(conn, row)
        replay_key = f"message {message.vendor_id} {message.audience} {message.jti}"
        try:
            replay.remember(
                conn,
                self.ctx.id,
                hashlib.sha256(replay_key.encode()).hexdigest(),
                message.expires_at,
            )
        except AlreadyExists:
            raise InvalidInput("this signed message was already sent") from None
        stored = rows.MessageRow(
            id=secrets.token_urlsafe(12),
            thread_id=row.id,
            author=message.vendor_id,
            text=message.text,
            signed=message.signed,
            created_at=now,
        )
        rows.add_message(conn, self.ctx.id, stored)
        self.ctx.record(
            conn,
            message.vendor_id,
            Action.MESSAGE_RECEIVE,
            Outcome.OK,
            resource=THREADS_PATH + row.id,
            detail={"message": stored.id, "vendor": row.vendor.get("name")},
        )
        return Posted(row.id, row.state, message_of(stored))

    def _vendors_offer(self, reply_token: str, offer_id: str, vendor_id: str) -> Offer:
        try:
            return self.threads.offers.for_vendor(reply_token, offer_id, vendor_id)
        except OfferNotFound:
            raise ThreadNotFound(NOT_FOUND) from None

    def _vendors_thread(
        self, conn: sa.Connection, thread_id: str, vendor_id: str
    ) -> rows.ThreadRow:
        """The thread if `vendor_id` is its vendor; others learn nothing of it."""
        if not is_id(thread_id):
            raise ThreadNotFound(NOT_FOUND)
        try:
            row = rows.get(conn, self.ctx.id, thread_id)
        except NotFound:
            raise ThreadNotFound(NOT_FOUND) from None
        if not secrets.compare_digest(row.vendor_id, vendor_id):
            raise ThreadNotFound(NOT_FOUND)
        if not knows_the_pod(conn, self.ctx.id, row):
            raise ThreadNotFound(NOT_FOUND)  # about an offer not accepted: at its own address
        return row
