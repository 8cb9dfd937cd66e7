"""Cheap questions an operator's probes ask the database, whichever pods it holds."""

from __future__ import annotations

import sqlalchemy as sa

from pds.store.tables import notifications as t

BACKLOG_CAP = 10_000
"""Counting stops here: a probe costs at most this many index entries, and a backlog this long
already says "look"."""


def answer(conn: sa.Connection) -> None:
    """A round trip that touches no table; raises if the database does not answer."""
    conn.execute(sa.text("SELECT 1")).scalar_one()


def notification_backlog(conn: sa.Connection, cap: int = BACKLOG_CAP) -> tuple[int, int]:
    """(queued, failed) notifications of every pod, each at most `cap` together.

    Both are undelivered (a failed notification was never delivered), so the index on
    delivered_at finds them without reading the delivered ones, however many there are.
    """
    undelivered = sa.select(t.c.failed_at).where(t.c.delivered_at.is_(None)).limit(cap).subquery()
    queued = sa.func.count().filter(undelivered.c.failed_at.is_(None))
    failed = sa.func.count().filter(undelivered.c.failed_at.is_not(None))
    row = conn.execute(sa.select(queued, failed).select_from(undelivered)).one()
    return int(row[0]), int(row[1])
