"""Rows of vendors' access requests, waiting for (or decided by) the customer."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from pds.store.errors import NotFound
from pds.store.tables import access_requests as t


@dataclasses.dataclass(frozen=True)
class RequestRow:
    id: str
    vendor_id: str
    vendor_jwk: dict[str, Any]
    vendor: dict[str, Any]
    scopes: list[dict[str, Any]]
    purpose: dict[str, str]
    duration_seconds: int
    terms: list[str]
    callback: str | None
    status: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    grant_id: str | None
    client: str | None = None  # the network it came from: an IPv4 address, an IPv6 /64
    agreement: dict[str, Any] | None = None  # the vendor's IEEE 7012 answer, if it gave one


_COLUMNS = tuple(t.c[f.name] for f in dataclasses.fields(RequestRow))


def add(conn: sa.Connection, pod_id: str, row: RequestRow) -> None:
    conn.execute(t.insert().values(pod_id=pod_id, **dataclasses.asdict(row)))


def get(conn: sa.Connection, pod_id: str, request_id: str) -> RequestRow:
    row = conn.execute(sa.select(*_COLUMNS).where(t.c.pod_id == pod_id, t.c.id == request_id))
    found = row.first()
    if found is None:
        raise NotFound(request_id)
    return RequestRow(*found)


def of_vendor(conn: sa.Connection, pod_id: str, vendor_id: str, limit: int) -> list[RequestRow]:
    """The vendor's latest requests (those made for it by the customer too), newest first."""
    query = (
        sa.select(*_COLUMNS)
        .where(t.c.pod_id == pod_id, t.c.vendor_id == vendor_id)
        .order_by(t.c.created_at.desc())
        .limit(limit)
    )
    return [RequestRow(*r) for r in conn.execute(query)]


def set_vendor(conn: sa.Connection, pod_id: str, request_id: str, vendor: dict[str, Any]) -> None:
    """Replace what the request says of its vendor (once its domain proof was checked)."""
    conn.execute(t.update().where(t.c.pod_id == pod_id, t.c.id == request_id).values(vendor=vendor))


def remove(conn: sa.Connection, pod_id: str, request_id: str) -> None:
    """Forget a request the pod made itself and could not approve (see consent.sharing)."""
    conn.execute(t.delete().where(t.c.pod_id == pod_id, t.c.id == request_id))


def list_requests(conn: sa.Connection, pod_id: str, status: str | None = None) -> list[RequestRow]:
    query = sa.select(*_COLUMNS).where(t.c.pod_id == pod_id)
    if status is not None:
        query = query.where(t.c.status == status)
    return [RequestRow(*r) for r in conn.execute(query.order_by(t.c.created_at.desc()))]


def recent(
    conn: sa.Connection, pod_id: str, vendor_id: str, since: dt.datetime
) -> tuple[int, dt.datetime | None]:
    """How many requests the vendor made since `since`, and when the oldest of them was."""
    query = sa.select(sa.func.count(), sa.func.min(t.c.created_at)).where(
        t.c.pod_id == pod_id, t.c.vendor_id == vendor_id, t.c.created_at >= since
    )
    # min() takes its argument's type (UTCDateTime), so `oldest` comes back already aware.
    count, oldest = conn.execute(query).one()
    return count, oldest


def recent_from_client(
    conn: sa.Connection, pod_id: str, client: str, since: dt.datetime
) -> tuple[int, dt.datetime | None]:
    """How many requests came from the network `client` since `since`, and the oldest's time."""
    query = sa.select(sa.func.count(), sa.func.min(t.c.created_at)).where(
        t.c.pod_id == pod_id, t.c.client == client, t.c.created_at >= since
    )
    count, oldest = conn.execute(query).one()
    return count, oldest


def count_pending(conn: sa.Connection, pod_id: str) -> int:
    query = sa.select(sa.func.count()).where(t.c.pod_id == pod_id, t.c.status == "pending")
    return int(conn.execute(query).scalar_one())


def reopen(conn: sa.Connection, pod_id: str, request_id: str) -> bool:
    """Put a denied request back among those waiting; False if it was not denied."""
    result = conn.execute(
        t.update()
        .where(t.c.pod_id == pod_id, t.c.id == request_id, t.c.status == "denied")
        .values(status="pending", decided_at=None)
    )
    return result.rowcount == 1


def decide(
    conn: sa.Connection,
    pod_id: str,
    request_id: str,
    status: str,
    grant_id: str | None,
    now: dt.datetime,
) -> bool:
    """Move a pending request to `status`; False if it was no longer pending."""
    result = conn.execute(
        t.update()
        .where(t.c.pod_id == pod_id, t.c.id == request_id, t.c.status == "pending")
        .values(status=status, decided_at=now, grant_id=grant_id)
    )
    return result.rowcount == 1


def set_agreement(
    conn: sa.Connection, pod_id: str, request_id: str, agreement: dict[str, Any]
) -> bool:
    """Record the vendor's answer on a pending request that has none; False otherwise (one
    round only: a second answer changes nothing)."""
    result = conn.execute(
        t.update()
        .where(
            t.c.pod_id == pod_id,
            t.c.id == request_id,
            t.c.status == "pending",
            t.c.agreement.is_(None),
        )
        .values(agreement=agreement)
    )
    return result.rowcount == 1
