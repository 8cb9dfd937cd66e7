"""Rows of the grant protocol: signing keys, access requests, grants, DPoP proofs, outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from pds.store.errors import AlreadyExists, NotFound
from pds.store.store import utcnow
from pds.store.tables import (
    UTCDateTime,
    access_requests,
    dpop_proofs,
    grants,
    notifications,
    signing_keys,
)

Row = dict[str, Any]


def _one(conn: sa.Connection, query, what: str) -> Row:
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(what)
    return dict(row)


# -- signing keys ------------------------------------------------------------------------------


def keys(conn: sa.Connection, pod_id: str) -> list[Row]:
    """Every key of the pod, newest first."""
    query = (
        sa.select(signing_keys)
        .where(signing_keys.c.pod_id == pod_id)
        .order_by(signing_keys.c.created_at.desc())
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def add_key(conn: sa.Connection, pod_id: str, **values: Any) -> None:
    conn.execute(signing_keys.insert().values(pod_id=pod_id, created_at=utcnow(), **values))


def retire_keys(conn: sa.Connection, pod_id: str, except_kid: str) -> None:
    conn.execute(
        signing_keys.update()
        .where(
            signing_keys.c.pod_id == pod_id,
            signing_keys.c.kid != except_kid,
            signing_keys.c.retired_at.is_(None),
        )
        .values(retired_at=utcnow())
    )


# -- access requests ---------------------------------------------------------------------------


def add_request(conn: sa.Connection, pod_id: str, **values: Any) -> None:
    conn.execute(access_requests.insert().values(pod_id=pod_id, **values))


def get_request(conn: sa.Connection, pod_id: str, request_id: str) -> Row:
    t = access_requests
    return _one(conn, sa.select(t).where(t.c.pod_id == pod_id, t.c.id == request_id), request_id)


def list_requests(conn: sa.Connection, pod_id: str, status: str | None = None) -> list[Row]:
    t = access_requests
    query = sa.select(t).where(t.c.pod_id == pod_id)
    if status is not None:
        query = query.where(t.c.status == status)
    return [dict(r) for r in conn.execute(query.order_by(t.c.created_at.desc())).mappings()]


def recent_requests(
    conn: sa.Connection, pod_id: str, vendor_id: str, since: dt.datetime
) -> tuple[int, dt.datetime | None]:
    """How many requests the vendor made since `since`, and when the oldest of them was."""
    t = access_requests
    query = sa.select(sa.func.count(), sa.func.min(t.c.created_at)).where(
        t.c.pod_id == pod_id, t.c.vendor_id == vendor_id, t.c.created_at >= since
    )
    count, oldest = conn.execute(query).one()
    return count, t.c.created_at.type.process_result_value(oldest, conn.dialect)


def decide_request(
    conn: sa.Connection, pod_id: str, request_id: str, status: str, grant_id: str | None
) -> bool:
    """Move a pending request to `status`; False if it was no longer pending."""
    t = access_requests
    result = conn.execute(
        t.update()
        .where(t.c.pod_id == pod_id, t.c.id == request_id, t.c.status == "pending")
        .values(status=status, decided_at=utcnow(), grant_id=grant_id)
    )
    return result.rowcount == 1


# -- grants ------------------------------------------------------------------------------------


def add_grant(conn: sa.Connection, pod_id: str, **values: Any) -> None:
    conn.execute(grants.insert().values(pod_id=pod_id, **values))


def get_grant(conn: sa.Connection, pod_id: str, grant_id: str) -> Row:
    t = grants
    return _one(conn, sa.select(t).where(t.c.pod_id == pod_id, t.c.id == grant_id), grant_id)


def grant_is_revoked(conn: sa.Connection, pod_id: str, grant_id: str) -> bool:
    """Whether the grant was revoked; NotFound if there is no such grant."""
    row = conn.execute(_REVOKED_AT, {"pod_id": pod_id, "grant_id": grant_id}).first()
    if row is None:
        raise NotFound(grant_id)
    return row[0] is not None


def list_grants(conn: sa.Connection, pod_id: str, vendor_id: str | None = None) -> list[Row]:
    t = grants
    query = sa.select(t).where(t.c.pod_id == pod_id)
    if vendor_id is not None:
        query = query.where(t.c.vendor_id == vendor_id)
    return [dict(r) for r in conn.execute(query.order_by(t.c.issued_at.desc())).mappings()]


def live_grants(conn: sa.Connection, pod_id: str, now: dt.datetime) -> list[Row]:
    t = grants
    query = sa.select(t).where(t.c.pod_id == pod_id, t.c.revoked_at.is_(None), t.c.expires_at > now)
    return [dict(r) for r in conn.execute(query).mappings()]


def revoke_grant(conn: sa.Connection, pod_id: str, grant_id: str, by: str) -> bool:
    """Mark the grant revoked; False if it already was."""
    t = grants
    result = conn.execute(
        t.update()
        .where(t.c.pod_id == pod_id, t.c.id == grant_id, t.c.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by=by)
    )
    if result.rowcount == 0:
        get_grant(conn, pod_id, grant_id)  # NotFound if it never existed
    return result.rowcount == 1


def used_status_indexes(conn: sa.Connection, pod_id: str) -> set[int]:
    t = grants
    return set(conn.execute(sa.select(t.c.status_index).where(t.c.pod_id == pod_id)).scalars())


def revoked_status_indexes(conn: sa.Connection, pod_id: str) -> list[int]:
    t = grants
    query = sa.select(t.c.status_index).where(t.c.pod_id == pod_id, t.c.revoked_at.is_not(None))
    return list(conn.execute(query).scalars())


# -- DPoP replay -------------------------------------------------------------------------------


# The statements of every vendor read, written once: building a Core statement per request
# costs more than running it (measured: ~0.25 ms each).
_REMEMBER_PROOF = sa.text(
    "INSERT INTO dpop_proofs (pod_id, proof_hash, expires_at) "
    "VALUES (:pod_id, :proof_hash, :expires_at) ON CONFLICT DO NOTHING"
).bindparams(sa.bindparam("expires_at", type_=UTCDateTime))
_REVOKED_AT = sa.text("SELECT revoked_at FROM grants WHERE pod_id = :pod_id AND id = :grant_id")


def remember_proof(
    conn: sa.Connection, pod_id: str, proof_hash: str, expires_at: dt.datetime
) -> None:
    """Record a proof as used; AlreadyExists if it was used before (a replay)."""
    result = conn.execute(
        _REMEMBER_PROOF, {"pod_id": pod_id, "proof_hash": proof_hash, "expires_at": expires_at}
    )
    if result.rowcount != 1:
        raise AlreadyExists(proof_hash)


def forget_expired_proofs(conn: sa.Connection, now: dt.datetime) -> int:
    return conn.execute(dpop_proofs.delete().where(dpop_proofs.c.expires_at < now)).rowcount


# -- notification outbox -----------------------------------------------------------------------


def queue_notification(
    conn: sa.Connection, pod_id: str, grant_id: str, url: str, body: str
) -> None:
    now = utcnow()
    conn.execute(
        notifications.insert().values(
            pod_id=pod_id,
            grant_id=grant_id,
            url=url,
            body=body,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )


def due_notifications(
    conn: sa.Connection, pod_id: str, now: dt.datetime, limit: int = 20
) -> list[Row]:
    t = notifications
    query = (
        sa.select(t)
        .where(t.c.pod_id == pod_id, t.c.delivered_at.is_(None), t.c.next_attempt_at <= now)
        .order_by(t.c.id)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def claim_notification(
    conn: sa.Connection, notification_id: int, due_at: dt.datetime, lease_until: dt.datetime
) -> bool:
    """Take a due notification for one delivery attempt; False if another worker took it."""
    t = notifications
    result = conn.execute(
        t.update()
        .where(t.c.id == notification_id, t.c.next_attempt_at == due_at, t.c.delivered_at.is_(None))
        .values(next_attempt_at=lease_until)
    )
    return result.rowcount == 1


def notification_attempted(
    conn: sa.Connection,
    notification_id: int,
    *,
    delivered: bool,
    error: str | None,
    next_attempt_at: dt.datetime,
) -> None:
    t = notifications
    conn.execute(
        t.update()
        .where(t.c.id == notification_id)
        .values(
            attempts=t.c.attempts + 1,
            delivered_at=utcnow() if delivered else None,
            last_error=error[:500] if error else None,
            next_attempt_at=next_attempt_at,
        )
    )
