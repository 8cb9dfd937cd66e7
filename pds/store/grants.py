"""Rows of grants: what a vendor may do, until when, and whether the customer took it back."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from pds.store.errors import NotFound
from pds.store.tables import grants as t


@dataclasses.dataclass(frozen=True)
class GrantRow:
    id: str
    request_id: str
    vendor_id: str
    vendor: dict[str, Any]
    scopes: list[dict[str, Any]]
    purpose: dict[str, str]
    terms: list[str]
    callback: str | None
    issued_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str | None
    status_index: int
    kid: str
    token: str
    receipt: str
    agreement: str | None = None  # the IEEE 7012 agreement agreed on, if any


_COLUMNS = tuple(t.c[f.name] for f in dataclasses.fields(GrantRow))


def add(conn: sa.Connection, pod_id: str, row: GrantRow) -> None:
    conn.execute(t.insert().values(pod_id=pod_id, **dataclasses.asdict(row)))


def get(conn: sa.Connection, pod_id: str, grant_id: str) -> GrantRow:
    found = conn.execute(
        sa.select(*_COLUMNS).where(t.c.pod_id == pod_id, t.c.id == grant_id)
    ).first()
    if found is None:
        raise NotFound(grant_id)
    return GrantRow(*found)


def list_grants(conn: sa.Connection, pod_id: str, vendor_id: str | None = None) -> list[GrantRow]:
    query = sa.select(*_COLUMNS).where(t.c.pod_id == pod_id)
    if vendor_id is not None:
        query = query.where(t.c.vendor_id == vendor_id)
    return [GrantRow(*r) for r in conn.execute(query.order_by(t.c.issued_at.desc()))]


def live(conn: sa.Connection, pod_id: str, now: dt.datetime) -> list[GrantRow]:
    query = sa.select(*_COLUMNS).where(
        t.c.pod_id == pod_id, t.c.revoked_at.is_(None), t.c.expires_at > now
    )
    return [GrantRow(*r) for r in conn.execute(query)]


# Run when a vendor proves a grant outside the data API (status URLs, giving back).
_REVOKED_AT = sa.text("SELECT revoked_at FROM grants WHERE pod_id = :pod_id AND id = :grant_id")


def is_revoked(conn: sa.Connection, pod_id: str, grant_id: str) -> bool:
    """Whether the grant was revoked; NotFound if there is no such grant."""
    row = conn.execute(_REVOKED_AT, {"pod_id": pod_id, "grant_id": grant_id}).first()
    if row is None:
        raise NotFound(grant_id)
    return row[0] is not None


def revoke(conn: sa.Connection, pod_id: str, grant_id: str, by: str, now: dt.datetime) -> bool:
    """Mark the grant revoked; False if it already was."""
    result = conn.execute(
        t.update()
        .where(t.c.pod_id == pod_id, t.c.id == grant_id, t.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=by)
    )
    if result.rowcount == 0:
        get(conn, pod_id, grant_id)  # NotFound if it never existed
    return result.rowcount == 1


def used_status_indexes(conn: sa.Connection, pod_id: str) -> set[int]:
    return set(conn.execute(sa.select(t.c.status_index).where(t.c.pod_id == pod_id)).scalars())


def revoked_status_indexes(conn: sa.Connection, pod_id: str) -> list[int]:
    query = sa.select(t.c.status_index).where(t.c.pod_id == pod_id, t.c.revoked_at.is_not(None))
    return list(conn.execute(query).scalars())
