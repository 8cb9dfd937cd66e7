"""The database work of one vendor request through a grant, in as few round trips as it can be.

Whether the grant is revoked or past the end its row gives it (the customer may have shortened
it), the replay record of the proof, the audit event and the current ETag of the resource: on
PostgreSQL one statement (its data-modifying CTEs commit or fail together), on SQLite the same
steps in one transaction. A refused request's event, with the reason the caller gives, is
written there too (on PostgreSQL as a second statement, its own commit). This is the pod's
hottest path, so it speaks to the database driver directly (through the store's pool) rather
than through SQLAlchemy, which costs more than the statements themselves (0.42 ms against
0.08 ms on SQLite).
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
    expired: bool  # by the row's end, which the customer may have moved before the token's exp
    replayed: bool
    etag: str | None  # of the document at the path; None if there is none


# Times compare as the text SQLAlchemy's SQLite dialect stores (see _sqlite_time).
_SQLITE_LOOKUP = (
    "SELECT g.id IS NOT NULL, g.revoked_at IS NOT NULL, g.expires_at <= ?,"
    " (SELECT etag FROM resources WHERE pod_id = ? AND path = ?)"
    " FROM (SELECT 1) LEFT JOIN grants AS g ON g.pod_id = ? AND g.id = ?"
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
        SELECT revoked_at IS NOT NULL AS revoked, expires_at <= %(at)s AS expired FROM grants
        WHERE pod_id = %(pod_id)s AND id = %(grant_id)s
    ), p AS (
        INSERT INTO dpop_proofs (pod_id, proof_hash, expires_at)
        SELECT %(pod_id)s, %(proof_hash)s, %(expires_at)s FROM g
        WHERE NOT g.revoked AND NOT g.expired
        ON CONFLICT DO NOTHING
        RETURNING 1
    ), a AS (
        INSERT INTO audit_events (pod_id, at, actor, action, resource, outcome, grant_id, detail)
        SELECT %(pod_id)s, %(at)s, %(actor)s, %(action)s, %(resource)s, %(outcome)s,
               %(grant_id)s, %(detail)s::json
        FROM p WHERE %(in_scope)s
        RETURNING 1
    )
    SELECT (SELECT revoked FROM g), (SELECT expired FROM g), (SELECT count(*) FROM p),
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

    The grant is live unless revoked or at its end by the time of `allowed["at"]`. The proof is
    remembered when the grant is live, even out of scope (so it cannot be tried
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
    lookup = (_sqlite_time(allowed["at"]), pod_id, path, pod_id, allowed["grant_id"])
    proof = (pod_id, proof_hash, _sqlite_time(proof_expires_at))
    allowed_row = _sqlite_event(allowed)
    with store.raw_write() as cursor:
        found, revoked, expired, etag = cursor.execute(_SQLITE_LOOKUP, lookup).fetchone()
        live, remembered = found and not revoked and not expired, False
        if live:
            remembered = cursor.execute(_SQLITE_REMEMBER, proof).rowcount
        replayed = live and not remembered
        check = AccessCheck(bool(found), bool(revoked), bool(expired), replayed, etag)
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
        revoked, expired, remembered, etag = cursor.execute(_POSTGRESQL, params).fetchone()
        found = revoked is not None
        live = found and not revoked and not expired
        check = AccessCheck(found, bool(revoked), bool(expired), live and not remembered, etag)
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
