"""Rows of published intents: where each one's offers go, and whether it takes them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from pds.store.errors import NotFound
from pds.store.tables import intent_announcements as a
from pds.store.tables import intents as t


@dataclasses.dataclass(frozen=True)
class IntentRow:
    id: str  # the document's name under /intents/
    public_id: str
    reply_token: str
    status: str  # published, paused, closed
    published_at: dt.datetime
    closed_at: dt.datetime | None
    relay_key: str  # PKCS#8 PEM of this intent's own key for relays
    agreement: str | None = None  # the IEEE 7012 agreement proffered when it was published


_COLUMNS = tuple(t.c[f.name] for f in dataclasses.fields(IntentRow))


def add(conn: sa.Connection, pod_id: str, row: IntentRow) -> None:
    conn.execute(t.insert().values(pod_id=pod_id, **dataclasses.asdict(row)))


def get(conn: sa.Connection, pod_id: str, intent_id: str) -> IntentRow | None:
    found = conn.execute(sa.select(*_COLUMNS).where(t.c.pod_id == pod_id, t.c.id == intent_id))
    row = found.first()
    return IntentRow(*row) if row else None


def by_reply_token(conn: sa.Connection, pod_id: str, token: str) -> IntentRow:
    found = conn.execute(
        sa.select(*_COLUMNS).where(t.c.pod_id == pod_id, t.c.reply_token == token)
    ).first()
    if found is None:
        raise NotFound(token)
    return IntentRow(*found)


def list_intents(conn: sa.Connection, pod_id: str) -> list[IntentRow]:
    query = sa.select(*_COLUMNS).where(t.c.pod_id == pod_id).order_by(t.c.published_at.desc())
    return [IntentRow(*r) for r in conn.execute(query)]


def set_status(
    conn: sa.Connection, pod_id: str, intent_id: str, status: str, *, closed_at=None
) -> bool:
    """Move a published or paused intent to `status`; False if it is closed (or absent)."""
    result = conn.execute(
        t.update()
        .where(t.c.pod_id == pod_id, t.c.id == intent_id, t.c.status != "closed")
        .values(status=status, closed_at=closed_at)
    )
    return result.rowcount == 1


# -- where an intent was announced ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AnnouncementRow:
    intent_id: str
    relay: str  # the relay's base URL
    announcement_id: str | None
    reply_url: str | None
    withdraw_url: str | None
    announced_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    error: str | None


_ANNOUNCEMENT_COLUMNS = tuple(a.c[f.name] for f in dataclasses.fields(AnnouncementRow))


def save_announcement(conn: sa.Connection, pod_id: str, row: AnnouncementRow) -> None:
    """Insert or replace the record of `row.intent_id` at `row.relay`."""
    conn.execute(
        a.delete().where(
            a.c.pod_id == pod_id, a.c.intent_id == row.intent_id, a.c.relay == row.relay
        )
    )
    conn.execute(a.insert().values(pod_id=pod_id, **dataclasses.asdict(row)))


def announcements(conn: sa.Connection, pod_id: str, intent_id: str) -> list[AnnouncementRow]:
    query = (
        sa.select(*_ANNOUNCEMENT_COLUMNS)
        .where(a.c.pod_id == pod_id, a.c.intent_id == intent_id)
        .order_by(a.c.relay)
    )
    return [AnnouncementRow(*r) for r in conn.execute(query)]


def by_relay_reply(
    conn: sa.Connection, pod_id: str, reply_url: str, *, include_withdrawn: bool = False
) -> AnnouncementRow | None:
    query = sa.select(*_ANNOUNCEMENT_COLUMNS).where(
        a.c.pod_id == pod_id, a.c.reply_url == reply_url
    )
    if not include_withdrawn:
        query = query.where(a.c.withdrawn_at.is_(None))
    found = conn.execute(query).first()
    return AnnouncementRow(*found) if found else None
