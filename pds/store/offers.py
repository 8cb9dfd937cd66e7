"""Rows of vendors' offers to the customer's intents."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from pds.store.errors import NotFound
from pds.store.tables import offers as t


@dataclasses.dataclass(frozen=True)
class OfferRow:
    id: str
    intent_id: str
    vendor_id: str
    vendor_jwk: dict[str, Any]
    vendor: dict[str, Any]
    offer: dict[str, Any]
    client: str | None
    status: str  # received, shortlisted, declined, accepted
    received_at: dt.datetime
    decided_at: dt.datetime | None
    request_id: str | None


_COLUMNS = tuple(t.c[f.name] for f in dataclasses.fields(OfferRow))


def add(conn: sa.Connection, pod_id: str, row: OfferRow) -> None:
    conn.execute(t.insert().values(pod_id=pod_id, **dataclasses.asdict(row)))


def get(conn: sa.Connection, pod_id: str, offer_id: str) -> OfferRow:
    found = conn.execute(
        sa.select(*_COLUMNS).where(t.c.pod_id == pod_id, t.c.id == offer_id)
    ).first()
    if found is None:
        raise NotFound(offer_id)
    return OfferRow(*found)


def for_intent(conn: sa.Connection, pod_id: str, intent_id: str) -> list[OfferRow]:
    query = (
        sa.select(*_COLUMNS)
        .where(t.c.pod_id == pod_id, t.c.intent_id == intent_id)
        .order_by(t.c.received_at)
    )
    return [OfferRow(*r) for r in conn.execute(query)]


def count_since(
    conn: sa.Connection, pod_id: str, since: dt.datetime, **match: str
) -> tuple[int, dt.datetime | None]:
    """How many offers matching `match` (intent_id, vendor_id, client) came since `since`."""
    query = sa.select(sa.func.count(), sa.func.min(t.c.received_at)).where(
        t.c.pod_id == pod_id, t.c.received_at >= since, *(t.c[k] == v for k, v in match.items())
    )
    count, oldest = conn.execute(query).one()
    return count, oldest


def count_for_intent(conn: sa.Connection, pod_id: str, intent_id: str) -> int:
    query = sa.select(sa.func.count()).where(t.c.pod_id == pod_id, t.c.intent_id == intent_id)
    return int(conn.execute(query).scalar_one())


def decide(
    conn: sa.Connection,
    pod_id: str,
    offer_id: str,
    status: str,
    now: dt.datetime,
    *,
    request_id: str | None = None,
    allowed_from: tuple[str, ...] = ("received", "shortlisted"),
) -> bool:
    """Move an offer to `status` if it is in one of `allowed_from`; False otherwise."""
    result = conn.execute(
        t.update()
        .where(t.c.pod_id == pod_id, t.c.id == offer_id, t.c.status.in_(allowed_from))
        .values(status=status, decided_at=now, request_id=request_id)
    )
    return result.rowcount == 1
