"""The audit log: what happened in a pod, who did it, and how it ended."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from pds.store.tables import audit_events as t


@dataclasses.dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    actor: str
    action: str
    resource: str | None
    outcome: str
    grant_id: str | None
    detail: dict[str, Any]


# Written on every vendor request: a statement built once (see store/replay.py).
INSERT = sa.text(
    "INSERT INTO audit_events (pod_id, at, actor, action, resource, outcome, grant_id, detail) "
    "VALUES (:pod_id, :at, :actor, :action, :resource, :outcome, :grant_id, :detail)"
).bindparams(sa.bindparam("at", type_=t.c.at.type), sa.bindparam("detail", type_=sa.JSON))


def values(
    pod_id: str,
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    outcome: str,
    resource: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The bound values of one event, for INSERT (or a statement that writes one too)."""
    detail = detail or {}
    return {
        "pod_id": pod_id,
        "at": at,
        "actor": actor,
        "action": action,
        # PostgreSQL text cannot hold NUL: a hostile path is logged with the byte replaced.
        "resource": resource[:1024].replace("\x00", "\ufffd") if resource else resource,
        "outcome": outcome,
        # Copied out of the detail into its own column so the log can be filtered by grant.
        "grant_id": detail.get("grant"),
        "detail": detail,
    }


def query(
    conn: sa.Connection,
    pod_id: str,
    *,
    actor: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
    resource: str | None = None,
    grant_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditRow]:
    """Newest first. `before_id` pages backwards through the log."""
    q = sa.select(
        t.c.id, t.c.at, t.c.actor, t.c.action, t.c.resource, t.c.outcome, t.c.grant_id, t.c.detail
    )
    q = q.where(t.c.pod_id == pod_id)
    for column, value in (
        (t.c.actor, actor),
        (t.c.action, action),
        (t.c.outcome, outcome),
        (t.c.resource, resource),
        (t.c.grant_id, grant_id),
    ):
        if value is not None:
            q = q.where(column == value)
    if since is not None:
        q = q.where(t.c.at >= since)
    if until is not None:
        q = q.where(t.c.at < until)
    if before_id is not None:
        q = q.where(t.c.id < before_id)
    rows = conn.execute(q.order_by(t.c.id.desc()).limit(limit))
    return [AuditRow(*r) for r in rows]


@dataclasses.dataclass(frozen=True)
class GrantUse:
    grant_id: str
    last_at: dt.datetime
    recent: int  # uses since the `since` given
    # The resource and fields of each recent use that named its fields (field-limited reads).
    recent_fields: list[tuple[str, list[str]]]


# How many recent uses are read back for their fields: enough for a week of a busy vendor's
# distinct fields, bounded so a flood of reads cannot make the page slow.
RECENT_DETAIL_LIMIT = 2000


def grant_uses(
    conn: sa.Connection,
    pod_id: str,
    grant_ids: list[str],
    *,
    actions: list[str],
    outcome: str,
    since: dt.datetime,
) -> dict[str, GrantUse]:
    """For each grant that was used: its last use ever, how many uses since `since`, and the
    fields those recent uses read."""
    if not grant_ids:
        return {}
    used = (
        (t.c.pod_id == pod_id)
        & t.c.grant_id.in_(grant_ids)
        & t.c.action.in_(actions)
        & (t.c.outcome == outcome)
    )
    last = {
        g: at
        for g, at in conn.execute(
            sa.select(t.c.grant_id, sa.func.max(t.c.at)).where(used).group_by(t.c.grant_id)
        )
    }
    counts = {
        g: n
        for g, n in conn.execute(
            sa.select(t.c.grant_id, sa.func.count())
            .where(used & (t.c.at >= since))
            .group_by(t.c.grant_id)
        )
    }
    fields: dict[str, list[tuple[str, list[str]]]] = {}
    recent = conn.execute(
        sa.select(t.c.grant_id, t.c.resource, t.c.detail)
        .where(used & (t.c.at >= since))
        .order_by(t.c.id.desc())
        .limit(RECENT_DETAIL_LIMIT)
    )
    for grant_id, resource, detail in recent:
        read = (detail or {}).get("fields")
        if isinstance(read, list):
            fields.setdefault(grant_id, []).append((resource or "", [str(f) for f in read]))
    return {
        g: GrantUse(g, at, counts.get(g, 0), fields.get(g, []))
        for g, at in last.items()
        if at is not None
    }
