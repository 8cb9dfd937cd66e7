"""Rows of RDF documents: one per (pod, path); writes are compare-and-swap on the ETag."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from pds.store.errors import AlreadyExists, NotFound, PreconditionFailed
from pds.store.store import utcnow
from pds.store.tables import resources as t


@dataclasses.dataclass(frozen=True)
class ResourceRow:
    path: str
    media_type: str
    body: str
    etag: str
    created_at: dt.datetime
    updated_at: dt.datetime


_COLUMNS = (t.c.path, t.c.media_type, t.c.body, t.c.etag, t.c.created_at, t.c.updated_at)


def get(conn: sa.Connection, pod_id: str, path: str) -> ResourceRow:
    row = conn.execute(sa.select(*_COLUMNS).where(t.c.pod_id == pod_id, t.c.path == path)).first()
    if row is None:
        raise NotFound(path)
    return ResourceRow(*row)


# Run on every read: a statement built once (see store/grants.py).
_ETAG = sa.text("SELECT etag FROM resources WHERE pod_id = :pod_id AND path = :path")


def get_etag(conn: sa.Connection, pod_id: str, path: str) -> str | None:
    return conn.execute(_ETAG, {"pod_id": pod_id, "path": path}).scalar_one_or_none()


def stored_size(conn: sa.Connection, pod_id: str) -> int:
    """The length of every document of the pod together, in characters of stored Turtle."""
    total = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(sa.func.length(t.c.body)), 0)).where(
            t.c.pod_id == pod_id
        )
    ).scalar_one()
    return int(total)


def paths_under(
    conn: sa.Connection, pod_id: str, prefix: str
) -> list[tuple[str, str, dt.datetime]]:
    """(path, etag, updated_at) of every resource whose path starts with `prefix`, sorted."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute(
        sa.select(t.c.path, t.c.etag, t.c.updated_at)
        .where(t.c.pod_id == pod_id, t.c.path.like(escaped + "%", escape="\\"))
        .order_by(t.c.path)
    )
    return [tuple(r) for r in rows]


def create(
    conn: sa.Connection,
    pod_id: str,
    path: str,
    media_type: str,
    body: str,
    etag: str,
    created_at: dt.datetime | None = None,
    updated_at: dt.datetime | None = None,
) -> None:
    """Insert a new row; the timestamps default to now (an import passes the originals)."""
    created_at = created_at or utcnow()
    if get_etag(conn, pod_id, path) is not None:
        raise AlreadyExists(path)
    try:
        conn.execute(
            t.insert().values(
                pod_id=pod_id,
                path=path,
                media_type=media_type,
                body=body,
                etag=etag,
                created_at=created_at,
                updated_at=updated_at or created_at,
            )
        )
    except sa.exc.IntegrityError:  # a concurrent creator won the race
        raise AlreadyExists(path) from None


def replace(
    conn: sa.Connection,
    pod_id: str,
    path: str,
    media_type: str,
    body: str,
    etag: str,
    expected_etag: str,
) -> None:
    """Overwrite the row if its ETag is still `expected_etag`, else PreconditionFailed."""
    result = conn.execute(
        t.update()
        .where(t.c.pod_id == pod_id, t.c.path == path, t.c.etag == expected_etag)
        .values(media_type=media_type, body=body, etag=etag, updated_at=utcnow())
    )
    if result.rowcount != 1:
        raise PreconditionFailed(path)


def delete(conn: sa.Connection, pod_id: str, path: str, expected_etag: str | None = None) -> None:
    query = t.delete().where(t.c.pod_id == pod_id, t.c.path == path)
    if expected_etag is not None:
        query = query.where(t.c.etag == expected_etag)
    if conn.execute(query).rowcount != 1:
        if get_etag(conn, pod_id, path) is None:
            raise NotFound(path)
        raise PreconditionFailed(path)


def all_rows(conn: sa.Connection, pod_id: str) -> list[ResourceRow]:
    rows = conn.execute(sa.select(*_COLUMNS).where(t.c.pod_id == pod_id).order_by(t.c.path))
    return [ResourceRow(*r) for r in rows]
