"""Rows of published intents: where each one's offers go, and whether it takes them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from pds.store.errors import NotFound
from pds.store.tables import intents as t


@dataclasses.dataclass(frozen=True)
class IntentRow:
    id: str  # the document's name under /intents/
    public_id: str
    reply_token: str
    status: str  # published, paused, closed
    published_at: dt.datetime
    closed_at: dt.datetime | None


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
