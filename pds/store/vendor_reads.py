"""The database work of one vendor request through a grant, in as few round trips as it can be.

Whether the grant is revoked, the replay record of the proof, the audit event and the current
ETag of the resource: on PostgreSQL one statement (its data-modifying CTEs commit or fail
together), on SQLite the same steps in one transaction. A refused request's event, with the
reason the caller gives, is written there too (on PostgreSQL as a second statement, its own
commit). This is the pod's hottest path, so it
speaks to the database driver directly (through the store's pool) rather than through
SQLAlchemy, which costs more than the statements themselves (0.42 ms against 0.08 ms on SQLite).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from pds.store.store import Store

Event = dict[str, Any]  # the values of an audit event, as `audit.values` makes them


@dataclasses.dataclass(frozen=True)
class AccessCheck:
    grant_found: bool
    revoked: bool
    replayed: bool
    etag: str | None  # of the document at the path; None if there is none


_SQLITE_LOOKUP = (
    "SELECT (SELECT revoked_at IS NOT NULL FROM grants WHERE pod_id = ? AND id = ?),"
    " (SELECT etag FROM resources WHERE pod_id = ? AND path = ?)"
)
_SQLITE_REMEMBER = (
    "INSERT INTO dpop_proofs (pod_id, proof_hash, expires_at) VALUES (?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)
_SQLITE_EVENT = (
    "INSERT INTO audit_events (pod_id, at, actor, action, resource, outcome, grant_id, detail)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)

_POSTGRESQL = """
    WITH g AS (
        SELECT revoked_at IS NOT NULL AS revoked FROM grants
        WHERE pod_id = %(pod_id)s AND id = %(grant_id)s
    ), p AS (
        INSERT INTO dpop_proofs (pod_id, proof_hash, expires_at)
        SELECT %(pod_id)s, %(proof_hash)s, %(expires_at)s FROM g WHERE NOT g.revoked
        ON CONFLICT DO NOTHING
        RETURNING 1
    ), a AS (
        INSERT INTO audit_events (pod_id, at, actor, action, resource, outcome, grant_id, detail)
        SELECT %(pod_id)s, %(at)s, %(actor)s, %(action)s, %(resource)s, %(outcome)s,
               %(grant_id)s, %(detail)s::json
        FROM p WHERE %(in_scope)s
        RETURNING 1
    )
    SELECT (SELECT revoked FROM g), (SELECT count(*) FROM p),
           (SELECT etag FROM resources WHERE pod_id = %(pod_id)s AND path = %(path)s)
"""
_POSTGRESQL_EVENT = """
    INSERT INTO audit_events (pod_id, at, actor, action, resource, outcome, grant_id, detail)
    VALUES (%(pod_id)s, %(at)s, %(actor)s, %(action)s, %(resource)s, %(outcome)s,
            %(grant_id)s, %(detail)s::json)
"""


def check_and_record(
    store: Store,
    *,
    allowed: Event,
    proof_hash: str,
    proof_expires_at: dt.datetime,
    in_scope: bool,
    path: str | None,
    refusal: Callable[[AccessCheck], Event | None],
) -> AccessCheck:
    """Check the grant `allowed["grant_id"]`, record the request, and read the ETag at `path`.

    The proof is remembered when the grant is live, even out of scope (so it cannot be tried
    elsewhere). `allowed` is written when the request is allowed (grant live, proof fresh,
    `in_scope`); otherwise `refusal(check)` gives the event to write instead.
    """
    if store.backend == "postgresql":
        return _postgresql(store, allowed, proof_hash, proof_expires_at, in_scope, path, refusal)
    return _sqlite(store, allowed, proof_hash, proof_expires_at, in_scope, path, refusal)


def _sqlite(
    store: Store,
    allowed: Event,
    proof_hash: str,
    proof_expires_at: dt.datetime,
    in_scope: bool,
    path: str | None,
    refusal: Callable[[AccessCheck], Event | None],
) -> AccessCheck:
    pod_id = allowed["pod_id"]
    # Made before the write turn is taken: the turn should last no longer than the statements.
    lookup = (pod_id, allowed["grant_id"], pod_id, path)
    proof = (pod_id, proof_hash, _sqlite_time(proof_expires_at))
    allowed_row = _sqlite_event(allowed)
    with store.raw_write() as cursor:
        revoked, etag = cursor.execute(_SQLITE_LOOKUP, lookup).fetchone()
        found, remembered = revoked is not None, False
        if found and not revoked:
            remembered = cursor.execute(_SQLITE_REMEMBER, proof).rowcount
        check = AccessCheck(found, bool(revoked), found and not revoked and not remembered, etag)
        if remembered and in_scope:
            cursor.execute(_SQLITE_EVENT, allowed_row)
        elif (event := refusal(check)) is not None:
            cursor.execute(_SQLITE_EVENT, _sqlite_event(event))
    return check


def _postgresql(
    store: Store,
    allowed: Event,
    proof_hash: str,
    proof_expires_at: dt.datetime,
    in_scope: bool,
    path: str | None,
    refusal: Callable[[AccessCheck], Event | None],
) -> AccessCheck:
    params = {
        **allowed,
        "detail": json.dumps(allowed["detail"]),
        "proof_hash": proof_hash,
        "expires_at": proof_expires_at,
        "in_scope": in_scope,
        "path": path,
    }
    with store.raw_autocommit() as cursor:
        revoked, remembered, etag = cursor.execute(_POSTGRESQL, params).fetchone()
        found = revoked is not None
        check = AccessCheck(found, bool(revoked), found and not revoked and not remembered, etag)
        if not (remembered and in_scope):
            event = refusal(check)
            if event is not None:
                cursor.execute(_POSTGRESQL_EVENT, {**event, "detail": json.dumps(event["detail"])})
    return check


def _sqlite_time(value: dt.datetime) -> str:
    """The text SQLAlchemy's SQLite dialect stores for a datetime (UTC, no offset)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_event(event: Event) -> tuple[Any, ...]:
    return (
        event["pod_id"],
        _sqlite_time(event["at"]),
        event["actor"],
        event["action"],
        event["resource"],
        event["outcome"],
        event["grant_id"],
        json.dumps(event["detail"]),
    )
