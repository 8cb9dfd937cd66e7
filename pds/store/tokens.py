"""Owner API tokens: only a hash of the secret is kept."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from pds.store.errors import NotFound
from pds.store.tables import api_tokens as t


@dataclasses.dataclass(frozen=True)
class TokenRow:
    id: str
    name: str
    secret_hash: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


_COLUMNS = (t.c.id, t.c.name, t.c.secret_hash, t.c.created_at, t.c.last_used_at, t.c.revoked_at)


def add(
    conn: sa.Connection,
    pod_id: str,
    token_id: str,
    name: str,
    secret_hash: str,
    now: dt.datetime,
) -> TokenRow:
    conn.execute(
        t.insert().values(
            pod_id=pod_id, id=token_id, name=name, secret_hash=secret_hash, created_at=now
        )
    )
    return TokenRow(token_id, name, secret_hash, now, None, None)


def get(conn: sa.Connection, pod_id: str, token_id: str) -> TokenRow:
    row = conn.execute(sa.select(*_COLUMNS).where(t.c.pod_id == pod_id, t.c.id == token_id)).first()
    if row is None:
        raise NotFound(token_id)
    return TokenRow(*row)


def list_all(conn: sa.Connection, pod_id: str) -> list[TokenRow]:
    rows = conn.execute(sa.select(*_COLUMNS).where(t.c.pod_id == pod_id).order_by(t.c.created_at))
    return [TokenRow(*r) for r in rows]


def revoke(conn: sa.Connection, pod_id: str, token_id: str, now: dt.datetime) -> None:
    result = conn.execute(
        t.update()
        .where(t.c.pod_id == pod_id, t.c.id == token_id, t.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if result.rowcount != 1:
        get(conn, pod_id, token_id)  # NotFound if it never existed; revoking twice is a no-op


def touch(conn: sa.Connection, pod_id: str, token_id: str, when: dt.datetime) -> None:
    conn.execute(
        t.update().where(t.c.pod_id == pod_id, t.c.id == token_id).values(last_used_at=when)
    )
