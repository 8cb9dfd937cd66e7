"""The relay's database: SQLite (a file, the default) or PostgreSQL (an operator's), through
the same engine set-up as the pod's, and the rows the relay keeps (pds.relay.tables).

Every method takes the connection of a transaction the caller opened with `begin()` or
`read()`, and returns frozen dataclasses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from pds.relay import tables as t
from pds.store import open_engine


@dataclasses.dataclass(frozen=True)
class AnnouncementRow:
    id: str
    intent_id: str
    intent: str  # JSON, as announced
    category_path: str
    country: str | None
    key_thumbprint: str
    forward_to: str
    reply_token: str
    announced_at: dt.datetime
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class SubscriptionRow:
    id: str
    vendor_id: str
    categories: str  # "/916/222/"
    countries: str  # "/GB/FR/" or ""
    callback: str
    created_at: dt.datetime
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class NoticeRow:
    id: int
    url: str
    body: str
    attempts: int
    next_attempt_at: dt.datetime


def _columns(table: sa.Table, row: type) -> tuple[sa.Column[Any], ...]:
    return tuple(table.c[f.name] for f in dataclasses.fields(row))


_ANNOUNCEMENT = _columns(t.announcements, AnnouncementRow)
_SUBSCRIPTION = _columns(t.subscriptions, SubscriptionRow)
_NOTICE = _columns(t.outbox, NoticeRow)


def slashed(values: tuple[str, ...] | list[str]) -> str:
    """Values as stored for matching by containment: ("916", "222") -> "/916/222/"."""
    return "/" + "/".join(values) + "/" if values else ""


class RelayStore:
    def __init__(self, url: str):
        self.engine = open_engine(url)

    def create(self) -> None:
        """Make the relay's tables if they are not there yet."""
        t.metadata.create_all(self.engine)

    @contextlib.contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only transaction: on SQLite it does not take the write lock."""
        with self.engine.connect() as conn:
            conn.execution_options(pds_read_only=True)
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()

    # -- the signing key -----------------------------------------------------------------------

    def add_key_once(self, conn: sa.Connection, kid: str, pem: str, now: dt.datetime) -> None:
        values = {"slot": 1, "kid": kid, "private_pem": pem, "created_at": now}
        conn.execute(_insert(conn, t.keys).values(**values).on_conflict_do_nothing())

    def key(self, conn: sa.Connection) -> tuple[str, str]:
        row = conn.execute(sa.select(t.keys.c.kid, t.keys.c.private_pem)).one()
        return row.kid, row.private_pem

    # -- replay and rate -----------------------------------------------------------------------

    def remember(self, conn: sa.Connection, jws_hash: str, expires_at: dt.datetime) -> bool:
        """Record a signed request as used; False if it was used before."""
        statement = (
            _insert(conn, t.replay)
            .values(jws_hash=jws_hash, expires_at=expires_at)
            .on_conflict_do_nothing()
            .returning(t.replay.c.jws_hash)
        )
        return conn.execute(statement).first() is not None

    def count(self, conn: sa.Connection, bucket: str, window_start: dt.datetime) -> int:
        """Add one to the counter of `bucket` in this window; the new count."""
        statement = (
            _insert(conn, t.rate)
            .values(bucket=bucket, window_start=window_start, count=1)
            .on_conflict_do_update(
                index_elements=[t.rate.c.bucket, t.rate.c.window_start],
                set_={"count": t.rate.c["count"] + 1},
            )
            .returning(t.rate.c["count"])
        )
        return int(conn.execute(statement).scalar_one())

    # -- announcements -------------------------------------------------------------------------

    def add_announcement(self, conn: sa.Connection, row: AnnouncementRow) -> None:
        conn.execute(t.announcements.insert().values(**dataclasses.asdict(row)))

    def announcement(self, conn: sa.Connection, announcement_id: str) -> AnnouncementRow | None:
        query = sa.select(*_ANNOUNCEMENT).where(t.announcements.c.id == announcement_id)
        row = conn.execute(query).one_or_none()
        return AnnouncementRow(*row) if row else None

    def by_reply_token(
        self, conn: sa.Connection, token: str, now: dt.datetime
    ) -> AnnouncementRow | None:
        """The current announcement with this reply token."""
        a = t.announcements
        query = sa.select(*_ANNOUNCEMENT).where(a.c.reply_token == token, a.c.expires_at > now)
        row = conn.execute(query).one_or_none()
        return AnnouncementRow(*row) if row else None

    def intent_announced(self, conn: sa.Connection, intent_id: str) -> bool:
        query = sa.select(t.announcements.c.id).where(t.announcements.c.intent_id == intent_id)
        return conn.execute(query).first() is not None

    def live_announcements(self, conn: sa.Connection) -> int:
        count = conn.execute(sa.select(sa.func.count()).select_from(t.announcements)).scalar()
        return int(count or 0)

    def add_route(
        self, conn: sa.Connection, token: str, forward_to: str, expires_at: dt.datetime
    ) -> None:
        conn.execute(
            t.routes.insert().values(
                reply_token=token, forward_to=forward_to, expires_at=expires_at
            )
        )

    def route(self, conn: sa.Connection, token: str, now: dt.datetime) -> str | None:
        """The pod's reply address behind `token`, while decisions may still be polled."""
        query = sa.select(t.routes.c.forward_to).where(
            t.routes.c.reply_token == token, t.routes.c.expires_at > now
        )
        found = conn.execute(query).first()
        return str(found[0]) if found else None

    def delete_announcement(self, conn: sa.Connection, announcement_id: str) -> None:
        """The announcement and every notice about it not yet delivered."""
        conn.execute(t.outbox.delete().where(t.outbox.c.announcement_id == announcement_id))
        conn.execute(t.announcements.delete().where(t.announcements.c.id == announcement_id))

    def feed(
        self,
        conn: sa.Connection,
        *,
        now: dt.datetime,
        notation: str | None,
        country: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[AnnouncementRow], int]:
        """Current announcements, newest first, and how many match in all."""
        a = t.announcements
        where: list[sa.ColumnElement[bool]] = [a.c.expires_at > now]
        if notation is not None:
            where.append(a.c.category_path.contains(f"/{notation}/", autoescape=True))
        if country is not None:
            where.append(sa.or_(a.c.country == country, a.c.country.is_(None)))
        total = conn.execute(sa.select(sa.func.count()).select_from(a).where(*where)).scalar()
        query = (
            sa.select(*_ANNOUNCEMENT)
            .where(*where)
            .order_by(a.c.announced_at.desc(), a.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [AnnouncementRow(*r) for r in conn.execute(query)], int(total or 0)

    # -- subscriptions -------------------------------------------------------------------------

    def add_subscription(self, conn: sa.Connection, row: SubscriptionRow) -> None:
        conn.execute(t.subscriptions.insert().values(**dataclasses.asdict(row)))

    def subscription(self, conn: sa.Connection, subscription_id: str) -> SubscriptionRow | None:
        query = sa.select(*_SUBSCRIPTION).where(t.subscriptions.c.id == subscription_id)
        row = conn.execute(query).one_or_none()
        return SubscriptionRow(*row) if row else None

    def delete_subscription(self, conn: sa.Connection, subscription_id: str) -> None:
        conn.execute(t.outbox.delete().where(t.outbox.c.subscription_id == subscription_id))
        conn.execute(t.subscriptions.delete().where(t.subscriptions.c.id == subscription_id))

    def subscriptions_of(
        self, conn: sa.Connection, vendor_id: str
    ) -> tuple[int, dt.datetime | None]:
        """How many subscriptions a key holds, and when the first of them ends."""
        s = t.subscriptions
        query = sa.select(sa.func.count(), sa.func.min(s.c.expires_at)).where(
            s.c.vendor_id == vendor_id
        )
        count, soonest = conn.execute(query).one()
        if soonest is not None and soonest.tzinfo is None:  # aggregates skip the column type
            soonest = soonest.replace(tzinfo=dt.UTC)
        return int(count), soonest

    def matching(
        self, conn: sa.Connection, lineage: tuple[str, ...], country: str | None
    ) -> list[SubscriptionRow]:
        """Subscriptions to this category or a broader one, for this country or any."""
        s = t.subscriptions
        where = [sa.or_(*(s.c.categories.contains(f"/{n}/", autoescape=True) for n in lineage))]
        if country is not None:
            where.append(
                sa.or_(s.c.countries == "", s.c.countries.contains(f"/{country}/", autoescape=True))
            )
        query = sa.select(*_SUBSCRIPTION).where(*where).order_by(s.c.id)
        return [SubscriptionRow(*r) for r in conn.execute(query)]

    # -- notices -------------------------------------------------------------------------------

    def queue_notice(
        self,
        conn: sa.Connection,
        announcement_id: str,
        subscription: SubscriptionRow,
        body: str,
        now: dt.datetime,
    ) -> None:
        conn.execute(
            t.outbox.insert().values(
                announcement_id=announcement_id,
                subscription_id=subscription.id,
                url=subscription.callback,
                body=body,
                attempts=0,
                next_attempt_at=now,
            )
        )

    def due_notices(self, conn: sa.Connection, now: dt.datetime, limit: int) -> list[NoticeRow]:
        query = (
            sa.select(*_NOTICE)
            .where(t.outbox.c.next_attempt_at <= now)
            .order_by(t.outbox.c.next_attempt_at, t.outbox.c.id)
            .limit(limit)
        )
        return [NoticeRow(*r) for r in conn.execute(query)]

    def claim_notice(
        self, conn: sa.Connection, notice: NoticeRow, lease_until: dt.datetime
    ) -> bool:
        """Take a due notice for one attempt; False if another worker took it, or it is gone."""
        statement = (
            t.outbox.update()
            .where(t.outbox.c.id == notice.id, t.outbox.c.next_attempt_at == notice.next_attempt_at)
            .values(next_attempt_at=lease_until)
        )
        return conn.execute(statement).rowcount == 1

    def notice_failed(self, conn: sa.Connection, notice_id: int, next_at: dt.datetime) -> None:
        statement = (
            t.outbox.update()
            .where(t.outbox.c.id == notice_id)
            .values(attempts=t.outbox.c.attempts + 1, next_attempt_at=next_at)
        )
        conn.execute(statement)

    def drop_notice(self, conn: sa.Connection, notice_id: int) -> None:
        """Delivered, or given up on: nothing is kept of it."""
        conn.execute(t.outbox.delete().where(t.outbox.c.id == notice_id))

    # -- forgetting ----------------------------------------------------------------------------

    def anything_expired(self, conn: sa.Connection, now: dt.datetime) -> bool:
        for table in (t.announcements, t.subscriptions, t.routes):
            query = sa.select(table.c.expires_at).where(table.c.expires_at <= now).limit(1)
            if conn.execute(query).first() is not None:
                return True
        return False

    def forget_expired(
        self, conn: sa.Connection, now: dt.datetime, rate_window: dt.datetime
    ) -> None:
        """Delete announcements past their last day, subscriptions past their end (and their
        notices), used JWS ids past their expiry, and counters of past windows."""
        a, s, o = t.announcements, t.subscriptions, t.outbox
        gone_a = sa.select(a.c.id).where(a.c.expires_at <= now)
        gone_s = sa.select(s.c.id).where(s.c.expires_at <= now)
        conn.execute(o.delete().where(o.c.announcement_id.in_(gone_a)))
        conn.execute(o.delete().where(o.c.subscription_id.in_(gone_s)))
        conn.execute(a.delete().where(a.c.expires_at <= now))
        conn.execute(s.delete().where(s.c.expires_at <= now))
        conn.execute(t.routes.delete().where(t.routes.c.expires_at <= now))
        conn.execute(t.replay.delete().where(t.replay.c.expires_at <= now))
        conn.execute(t.rate.delete().where(t.rate.c.window_start < rate_window))


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    """INSERT with the backend's ON CONFLICT (both SQLite and PostgreSQL have it)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
