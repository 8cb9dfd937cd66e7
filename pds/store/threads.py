"""Rows of conversations between the customer and vendors: threads and their messages."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from pds.store.errors import AlreadyExists, NotFound
from pds.store.tables import thread_messages as m
from pds.store.tables import threads as t

CUSTOMER = "customer"  # the author of the customer's messages; a vendor's is its vendor id


@dataclasses.dataclass(frozen=True)
class ThreadRow:
    id: str
    vendor_id: str
    vendor: dict[str, Any]
    subject: str
    started_by: str  # customer, vendor, offer
    offer_id: str | None
    state: str  # open, muted, closed
    created_at: dt.datetime
    updated_at: dt.datetime
    customer_read_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class MessageRow:
    id: str
    thread_id: str
    author: str
    text: str
    signed: str | None
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Listed:
    """A thread with what the list of threads shows: counts and the last message."""

    thread: ThreadRow
    messages: int
    unread: int  # the vendor's messages since the customer last opened it
    last: MessageRow | None


_THREAD = tuple(t.c[f.name] for f in dataclasses.fields(ThreadRow))
_MESSAGE = tuple(m.c[f.name] for f in dataclasses.fields(MessageRow))


def add(conn: sa.Connection, pod_id: str, row: ThreadRow) -> None:
    """AlreadyExists if the offer already has its thread (the transaction is then spoilt)."""
    try:
        conn.execute(t.insert().values(pod_id=pod_id, **dataclasses.asdict(row)))
    except sa.exc.IntegrityError:
        raise AlreadyExists(row.offer_id or row.id) from None


def get(conn: sa.Connection, pod_id: str, thread_id: str) -> ThreadRow:
    found = conn.execute(
        sa.select(*_THREAD).where(t.c.pod_id == pod_id, t.c.id == thread_id)
    ).first()
    if found is None:
        raise NotFound(thread_id)
    return ThreadRow(*found)


def lock(conn: sa.Connection, pod_id: str, thread_id: str) -> ThreadRow:
    """The thread's row, locked until the transaction ends (concurrent messages wait)."""
    found = conn.execute(
        sa.select(*_THREAD).where(t.c.pod_id == pod_id, t.c.id == thread_id).with_for_update()
    ).first()
    if found is None:
        raise NotFound(thread_id)
    return ThreadRow(*found)


def of_offer(conn: sa.Connection, pod_id: str, offer_id: str) -> ThreadRow | None:
    found = conn.execute(
        sa.select(*_THREAD).where(t.c.pod_id == pod_id, t.c.offer_id == offer_id)
    ).first()
    return ThreadRow(*found) if found else None


def listed(
    conn: sa.Connection,
    pod_id: str,
    *,
    vendor_id: str | None = None,
    thread_id: str | None = None,
) -> list[Listed]:
    """Threads, most recently active first, with their counts and last message (of one
    vendor, or the one thread, if named)."""
    unread = sa.and_(
        m.c.author != CUSTOMER,
        sa.or_(t.c.customer_read_at.is_(None), m.c.created_at > t.c.customer_read_at),
    )
    counts = (
        sa.select(
            m.c.thread_id,
            sa.func.count().label("messages"),
            sa.func.count(sa.case((unread, 1))).label("unread"),
        )
        .select_from(m.join(t, sa.and_(t.c.pod_id == m.c.pod_id, t.c.id == m.c.thread_id)))
        .where(m.c.pod_id == pod_id)
        .group_by(m.c.thread_id)
        .subquery()
    )
    query = (
        sa.select(*_THREAD, counts.c.messages, counts.c.unread)
        .select_from(t.outerjoin(counts, counts.c.thread_id == t.c.id))
        .where(t.c.pod_id == pod_id)
        .order_by(t.c.updated_at.desc(), t.c.id.desc())
    )
    if vendor_id is not None:
        query = query.where(t.c.vendor_id == vendor_id)
    if thread_id is not None:
        query = query.where(t.c.id == thread_id)
    found = [
        (ThreadRow(*r[: len(_THREAD)]), r.messages or 0, r.unread or 0) for r in conn.execute(query)
    ]
    last = _last_messages(conn, pod_id, [row.id for row, _, _ in found])
    return [Listed(row, count, unread, last.get(row.id)) for row, count, unread in found]


def _last_messages(conn: sa.Connection, pod_id: str, ids: list[str]) -> dict[str, MessageRow]:
    """The latest message of each thread named (one query)."""
    if not ids:
        return {}
    latest = (
        sa.select(m.c.thread_id, sa.func.max(m.c.created_at).label("at"))
        .where(m.c.pod_id == pod_id, m.c.thread_id.in_(ids))
        .group_by(m.c.thread_id)
        .subquery()
    )
    query = (
        sa.select(*_MESSAGE)
        .join(latest, sa.and_(latest.c.thread_id == m.c.thread_id, latest.c.at == m.c.created_at))
        .where(m.c.pod_id == pod_id)
        .order_by(m.c.id)
    )
    return {row.thread_id: row for row in (MessageRow(*r) for r in conn.execute(query))}


def messages(conn: sa.Connection, pod_id: str, thread_id: str) -> list[MessageRow]:
    query = (
        sa.select(*_MESSAGE)
        .where(m.c.pod_id == pod_id, m.c.thread_id == thread_id)
        .order_by(m.c.created_at, m.c.id)
    )
    return [MessageRow(*r) for r in conn.execute(query)]


def add_message(conn: sa.Connection, pod_id: str, row: MessageRow) -> None:
    conn.execute(m.insert().values(pod_id=pod_id, **dataclasses.asdict(row)))
    conn.execute(
        t.update()
        .where(t.c.pod_id == pod_id, t.c.id == row.thread_id)
        .values(updated_at=row.created_at)
    )


def count_messages(conn: sa.Connection, pod_id: str, thread_id: str) -> int:
    query = sa.select(sa.func.count()).where(m.c.pod_id == pod_id, m.c.thread_id == thread_id)
    return int(conn.execute(query).scalar_one())


def count_since(
    conn: sa.Connection, pod_id: str, thread_id: str, author: str, since: dt.datetime
) -> tuple[int, dt.datetime | None]:
    """How many messages `author` wrote in a thread since `since`, and the oldest of them."""
    query = sa.select(sa.func.count(), sa.func.min(m.c.created_at)).where(
        m.c.pod_id == pod_id,
        m.c.thread_id == thread_id,
        m.c.author == author,
        m.c.created_at >= since,
    )
    count, oldest = conn.execute(query).one()
    return count, oldest


def count_started_since(
    conn: sa.Connection, pod_id: str, vendor_id: str, since: dt.datetime
) -> tuple[int, dt.datetime | None]:
    """How many threads `vendor_id` started since `since`, and the oldest of them."""
    query = sa.select(sa.func.count(), sa.func.min(t.c.created_at)).where(
        t.c.pod_id == pod_id,
        t.c.vendor_id == vendor_id,
        t.c.started_by == "vendor",
        t.c.created_at >= since,
    )
    count, oldest = conn.execute(query).one()
    return count, oldest


def set_state(conn: sa.Connection, pod_id: str, thread_id: str, state: str) -> None:
    conn.execute(t.update().where(t.c.pod_id == pod_id, t.c.id == thread_id).values(state=state))


def mark_read(conn: sa.Connection, pod_id: str, thread_id: str, now: dt.datetime) -> None:
    conn.execute(
        t.update().where(t.c.pod_id == pod_id, t.c.id == thread_id).values(customer_read_at=now)
    )


def unread(conn: sa.Connection, pod_id: str) -> int:
    """The vendors' messages the customer has not seen, in threads that are not muted."""
    query = (
        sa.select(sa.func.count())
        .select_from(m.join(t, sa.and_(t.c.pod_id == m.c.pod_id, t.c.id == m.c.thread_id)))
        .where(
            m.c.pod_id == pod_id,
            m.c.author != CUSTOMER,
            t.c.state != "muted",
            sa.or_(t.c.customer_read_at.is_(None), m.c.created_at > t.c.customer_read_at),
        )
    )
    return int(conn.execute(query).scalar_one())
