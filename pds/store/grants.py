"""Rows of grants: what a vendor may do, until when, whether the customer took it back, and
whether the customer asked the vendor to delete what it holds."""

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
    deletion_requested_at: dt.datetime | None = None
    deletion_acknowledged_at: dt.datetime | None = None
    deletion_ack: str | None = None  # the vendor's signed acknowledgement (compact JWS)
    deletion_receipt: str | None = None  # the pod's signed receipt for it (compact JWS)


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


@dataclasses.dataclass(frozen=True)
class Standing:
    """Whether a grant still stands: taken back (revoked or returned), or past its end."""

    revoked: bool
    expired: bool


def standing(conn: sa.Connection, pod_id: str, grant_id: str, now: dt.datetime) -> Standing:
    """Run when a vendor proves a grant outside the data API (giving back); NotFound if there
    is no such grant. The row's end counts, not the token's: the customer may have shortened
    the grant."""
    found = conn.execute(
        sa.select(t.c.revoked_at.is_not(None), t.c.expires_at <= now).where(
            t.c.pod_id == pod_id, t.c.id == grant_id
        )
    ).first()
    if found is None:
        raise NotFound(grant_id)
    return Standing(revoked=bool(found[0]), expired=bool(found[1]))


def revoke(
    conn: sa.Connection,
    pod_id: str,
    grant_id: str,
    by: str,
    now: dt.datetime,
    *,
    ask_deletion: bool = False,
) -> bool:
    """Mark the grant revoked, and deletion asked if `ask_deletion`; False, and nothing
    changed, if it already was revoked."""
    values: dict[str, Any] = {"revoked_at": now, "revoked_by": by}
    if ask_deletion:
        values["deletion_requested_at"] = now
    result = conn.execute(
        t.update()
        .where(t.c.pod_id == pod_id, t.c.id == grant_id, t.c.revoked_at.is_(None))
        .values(**values)
    )
    if result.rowcount == 0:
        get(conn, pod_id, grant_id)  # NotFound if it never existed
    return result.rowcount == 1


def shorten(
    conn: sa.Connection, pod_id: str, grant_id: str, until: dt.datetime, now: dt.datetime
) -> bool:
    """End a live grant at `until` instead, earlier than its end; False, and nothing changed,
    if it is no longer live (a concurrent revocation) or already ends by then."""
    result = conn.execute(
        t.update()
        .where(
            t.c.pod_id == pod_id,
            t.c.id == grant_id,
            t.c.revoked_at.is_(None),
            t.c.expires_at > now,
            t.c.expires_at > until,
        )
        .values(expires_at=until)
    )
    return result.rowcount == 1


def request_deletion(conn: sa.Connection, pod_id: str, grant_id: str, now: dt.datetime) -> bool:
    """Record that the customer asks for deletion under a grant that has ended; False, and
    nothing changed, if it has not ended or deletion was asked already."""
    result = conn.execute(
        t.update()
        .where(
            t.c.pod_id == pod_id,
            t.c.id == grant_id,
            t.c.deletion_requested_at.is_(None),
            sa.or_(t.c.revoked_at.is_not(None), t.c.expires_at <= now),
        )
        .values(deletion_requested_at=now)
    )
    return result.rowcount == 1


def acknowledge_deletion(
    conn: sa.Connection, pod_id: str, grant_id: str, *, ack: str, receipt: str, at: dt.datetime
) -> bool:
    """Keep the vendor's acknowledgement and the pod's receipt; False, and nothing changed,
    unless deletion was asked and not yet acknowledged: the first acknowledgement stands."""
    result = conn.execute(
        t.update()
        .where(
            t.c.pod_id == pod_id,
            t.c.id == grant_id,
            t.c.deletion_requested_at.is_not(None),
            t.c.deletion_acknowledged_at.is_(None),
        )
        .values(deletion_ack=ack, deletion_receipt=receipt, deletion_acknowledged_at=at)
    )
    return result.rowcount == 1


def used_status_indexes(conn: sa.Connection, pod_id: str) -> set[int]:
    return set(conn.execute(sa.select(t.c.status_index).where(t.c.pod_id == pod_id)).scalars())


def revoked_status_indexes(conn: sa.Connection, pod_id: str) -> list[int]:
    query = sa.select(t.c.status_index).where(t.c.pod_id == pod_id, t.c.revoked_at.is_not(None))
    return list(conn.execute(query).scalars())
