"""Conversations between the customer and one vendor, through the pod, in both directions.

A thread is started by an offer (the vendor, or the customer, writes about it), by a vendor
that holds a live grant, or by the customer to a vendor that holds or held one. Vendors post
signed messages and read only their own threads (`pds.consent.vendor_threads`); this module is
the customer's side, and what both sides share. The customer reads and answers in the page; an
answer reaches the vendor through its callback (a signed `Message` notification) when it holds
a live grant with one, else when it polls. The customer can mute a thread (its messages are
kept but not counted as unread) or close it (nobody can write to it until it is opened again).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.context import PodContext
from pds.consent.errors import (
    InvalidInput,
    ThreadClosed,
    ThreadFull,
    ThreadNotFound,
)
from pds.consent.inputs import is_id, shown_on_one_line
from pds.consent.messages import (
    MAX_SUBJECT,
    message_text,
    subject_text,
)
from pds.consent.offers import Offer, Offers
from pds.store import AlreadyExists, NotFound
from pds.store import grants as grant_rows
from pds.store import offers as offer_rows
from pds.store import threads as rows
from pds.store.threads import CUSTOMER

THREADS_PATH = "/threads/"
MAX_MESSAGES = 500  # in one thread
STATES = ("open", "muted", "closed")
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Message:
    id: str
    by_customer: bool
    text: str
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Thread:
    id: str
    vendor_id: str
    vendor: dict[str, object]  # self-declared, unverified
    subject: str
    started_by: str  # customer, vendor, offer
    offer_id: str | None
    state: str  # open, muted, closed
    created_at: dt.datetime
    updated_at: dt.datetime
    messages: int
    unread: int
    last: Message | None


@dataclasses.dataclass(frozen=True)
class ThreadView:
    """A thread with all its messages, oldest first."""

    thread: Thread
    messages: list[Message]


class Threads:
    def __init__(self, ctx: PodContext, offers: Offers):
        self.ctx = ctx
        self.offers = offers

    def url(self, thread_id: str) -> str:
        """The thread at the pod, where its vendor reads and writes once it knows the pod."""
        return self.ctx.base_url + THREADS_PATH + thread_id

    # -- the customer's side -------------------------------------------------------------------

    def all(self) -> list[Thread]:
        with self.ctx.store.read() as conn:
            return [thread_of(x) for x in rows.listed(conn, self.ctx.id)]

    def unread(self) -> int:
        """The vendors' messages the customer has not read, muted threads aside."""
        with self.ctx.store.read() as conn:
            return rows.unread(conn, self.ctx.id)

    def get(self, thread_id: str) -> ThreadView:
        return self.view(self._customers_thread(thread_id).id)

    def mark_read(self, thread_id: str) -> None:
        row = self._customers_thread(thread_id)
        with self.ctx.store.begin() as conn:
            rows.mark_read(conn, self.ctx.id, row.id, self.ctx.clock())

    def reply(self, thread_id: str, text: str) -> Message:
        """The customer's message; the vendor is told if it can be (see the module)."""
        text = message_text(text)
        row = self._customers_thread(thread_id)
        with self.ctx.store.begin() as conn:
            posted = self._write(conn, row, text)
        self.ctx.outbox.kick()
        return posted

    def start(self, vendor_id: str, subject: str, text: str) -> Thread:
        """The customer writes first, to a vendor that holds or held a grant."""
        subject, text = subject_text(subject), message_text(text)
        now = self.ctx.clock()
        with self.ctx.store.begin() as conn:
            grant = latest_grant(conn, self.ctx.id, vendor_id, now, live=False)
            if grant is None:
                raise InvalidInput("you can write only to a vendor you gave access to")
            row = self.new_thread(conn, vendor_id, grant.vendor, subject, CUSTOMER)
            self._write(conn, row, text)
        self.ctx.outbox.kick()
        return self._thread(row.id)

    def about_offer(self, offer_id: str, text: str | None = None) -> Thread:
        """The thread about an offer, made now if nobody has written yet; with `text`, the
        customer's message in it (checked before anything is made)."""
        checked = message_text(text) if text is not None else None
        offer = self.offers.get(offer_id)

        def write(conn: sa.Connection, row: rows.ThreadRow) -> str:
            if checked is not None:
                self._write(conn, row, checked)
            return row.id

        thread_id = self.in_offer_thread(offer, write)
        self.ctx.outbox.kick()
        return self._thread(thread_id)

    def set_state(self, thread_id: str, state: str) -> Thread:
        """Open (also: unmute, reopen), mute or close a thread."""
        if state not in STATES:
            raise InvalidInput(f"a thread is {', '.join(STATES)}")
        row = self._customers_thread(thread_id)
        with self.ctx.store.begin() as conn:
            rows.set_state(conn, self.ctx.id, row.id, state)
            self.ctx.record(
                conn,
                OWNER,
                Action.THREAD_STATE,
                Outcome.OK,
                resource=THREADS_PATH + row.id,
                detail={"vendor": row.vendor_id, "state": state},
            )
        return self._thread(row.id)

    # -- internals -----------------------------------------------------------------------------

    def _write(self, conn: sa.Connection, row: rows.ThreadRow, text: str) -> Message:
        """Store the customer's message and queue the vendor's notice, if it can be told."""
        if row.state == "closed":
            raise ThreadClosed("this thread is closed: open it again to write")
        self.check_length(conn, row)
        now = self.ctx.clock()
        stored = rows.MessageRow(
            id=secrets.token_urlsafe(12),
            thread_id=row.id,
            author=CUSTOMER,
            text=text,
            signed=None,
            created_at=now,
        )
        rows.add_message(conn, self.ctx.id, stored)
        rows.mark_read(conn, self.ctx.id, row.id, now)  # answering is having read it
        # Only a vendor that already knows the pod (a live grant) is told: a notice names the
        # pod, and a vendor that made an offer through a relay must not learn it that way.
        grant = latest_grant(conn, self.ctx.id, row.vendor_id, now, live=True, callback=True)
        if grant is not None and not knows_the_pod(conn, self.ctx.id, row):
            grant = None  # its grant is for something else: it must not link the two
        if grant is not None:
            payload = {"type": "Message", "grant": grant.id, "object": self.url(row.id)}
            self.ctx.outbox.queue(conn, grant, payload)
        self.ctx.record(
            conn,
            OWNER,
            Action.MESSAGE_SEND,
            Outcome.OK,
            resource=THREADS_PATH + row.id,
            detail={"message": stored.id, "vendor": row.vendor_id, "told": grant is not None},
        )
        return message_of(stored)

    def check_length(self, conn: sa.Connection, row: rows.ThreadRow) -> None:
        if rows.count_messages(conn, self.ctx.id, row.id) >= MAX_MESSAGES:
            raise ThreadFull(f"a thread holds at most {MAX_MESSAGES} messages: start a new one")

    def new_thread(
        self,
        conn: sa.Connection,
        vendor_id: str,
        vendor: dict[str, object],
        subject: str,
        started_by: str,
        offer_id: str | None = None,
    ) -> rows.ThreadRow:
        now = self.ctx.clock()
        row = rows.ThreadRow(
            id=secrets.token_urlsafe(16),
            vendor_id=vendor_id,
            vendor=vendor,
            subject=subject,
            started_by=started_by,
            offer_id=offer_id,
            state="open",
            created_at=now,
            updated_at=now,
            customer_read_at=None,
        )
        rows.add(conn, self.ctx.id, row)
        return row

    def in_offer_thread(
        self, offer: Offer, then: Callable[[sa.Connection, rows.ThreadRow], T]
    ) -> T:
        """`then` in the thread about `offer`, in one transaction; the thread is made if it does
        not exist yet (by this call or, at the same moment, by another)."""
        intent = self.offers.intents.get(offer.intent_id)
        name = intent.published["name"] if intent.published else intent.id
        subject = subject_text(f"Offer for: {shown_on_one_line(name)}"[:MAX_SUBJECT])
        for _attempt in range(2):
            try:
                with self.ctx.store.begin() as conn:
                    row = rows.of_offer(conn, self.ctx.id, offer.id) or self.new_thread(
                        conn, offer.vendor_id, offer.vendor, subject, "offer", offer.id
                    )
                    return then(conn, row)
            except AlreadyExists:  # made meanwhile by the other side's first message
                continue
        raise AssertionError("an offer's thread could not be made")

    def _customers_thread(self, thread_id: str) -> rows.ThreadRow:
        if not is_id(thread_id):
            raise ThreadNotFound(f"there is no thread {thread_id!r}")
        with self.ctx.store.read() as conn:
            try:
                return rows.get(conn, self.ctx.id, thread_id)
            except NotFound:
                raise ThreadNotFound(f"there is no thread {thread_id!r}") from None

    def _thread(self, thread_id: str) -> Thread:
        return self.view(thread_id).thread

    def view(self, thread_id: str) -> ThreadView:
        with self.ctx.store.read() as conn:
            listed = rows.listed(conn, self.ctx.id, thread_id=thread_id)[0]
            messages = rows.messages(conn, self.ctx.id, thread_id)
        return ThreadView(thread_of(listed), [message_of(m) for m in messages])


def knows_the_pod(conn: sa.Connection, pod_id: str, row: rows.ThreadRow) -> bool:
    """Whether the thread may be reached at the pod's own address, and named to the vendor.

    A thread about an offer is reached at the offer's address (through the relay it came by)
    until the customer accepts it: a vendor that holds a grant from this pod for something
    else must not be able to tell that this pod is the customer behind the intent.
    """
    if row.offer_id is None:
        return True
    try:
        return offer_rows.get(conn, pod_id, row.offer_id).status == "accepted"
    except NotFound:  # no such offer (an archive without it): stay at the offer's address
        return False


def latest_grant(
    conn: sa.Connection,
    pod_id: str,
    vendor_id: str,
    now: dt.datetime,
    *,
    live: bool,
    callback: bool = False,
) -> grant_rows.GrantRow | None:
    """The vendor's most recent grant (live only, with a callback only, if asked)."""
    for grant in grant_rows.list_grants(conn, pod_id, vendor_id):  # newest first
        if live and (grant.revoked_at is not None or grant.expires_at <= now):
            continue
        if callback and not grant.callback:
            continue
        return grant
    return None


def thread_of(listed: rows.Listed) -> Thread:
    row = listed.thread
    return Thread(
        id=row.id,
        vendor_id=row.vendor_id,
        vendor=row.vendor,
        subject=row.subject,
        started_by=row.started_by,
        offer_id=row.offer_id,
        state=row.state,
        created_at=row.created_at,
        updated_at=row.updated_at,
        messages=listed.messages,
        unread=listed.unread,
        last=message_of(listed.last) if listed.last else None,
    )


def message_of(row: rows.MessageRow) -> Message:
    return Message(row.id, row.author == CUSTOMER, row.text, row.created_at)
