"""The database work of one vendor request through a grant, in as few round trips as it can be.

Whether the grant is revoked, the replay record of the proof, the `allowed` audit event and the
current ETag of the resource: on PostgreSQL one statement (its data-modifying CTEs commit or fail
together), on SQLite the same steps in one transaction. A refusal's audit event, with its
reason, is written by the caller (see `pds.consent.vendor_data`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from pds.store import replay
from pds.store.audit import INSERT as INSERT_EVENT
from pds.store.tables import UTCDateTime


@dataclasses.dataclass(frozen=True)
class AccessCheck:
    grant_found: bool
    revoked: bool
    replayed: bool
    etag: str | None  # of the document at the path; None if there is none

    @property
    def allowed(self) -> bool:
        return self.grant_found and not self.revoked and not self.replayed


_SQLITE_LOOKUP = sa.text(
    "SELECT (SELECT revoked_at IS NOT NULL FROM grants WHERE pod_id = :pod_id AND id = :grant_id),"
    " (SELECT etag FROM resources WHERE pod_id = :pod_id AND path = :path)"
)

_POSTGRESQL = sa.text(
    """
    WITH g AS (
        SELECT revoked_at IS NOT NULL AS revoked FROM grants
        WHERE pod_id = :pod_id AND id = :grant_id
    ), p AS (
        INSERT INTO dpop_proofs (pod_id, proof_hash, expires_at)
        SELECT :pod_id, :proof_hash, CAST(:expires_at AS timestamptz) FROM g WHERE NOT g.revoked
        ON CONFLICT DO NOTHING
        RETURNING 1
    ), a AS (
        INSERT INTO audit_events (pod_id, at, actor, action, resource, outcome, grant_id, detail)
        SELECT :pod_id, CAST(:at AS timestamptz), :actor, :action, :resource, :outcome,
               :grant_id, CAST(:detail AS json)
        FROM p WHERE CAST(:in_scope AS boolean)
        RETURNING 1
    )
    SELECT (SELECT revoked FROM g), (SELECT count(*) FROM p),
           (SELECT etag FROM resources WHERE pod_id = :pod_id AND path = :path)
    """
).bindparams(
    sa.bindparam("expires_at", type_=UTCDateTime),
    sa.bindparam("at", type_=UTCDateTime),
    sa.bindparam("detail", type_=sa.JSON),
)


def check_and_record(
    conn: sa.Connection,
    *,
    event: dict[str, object],
    proof_hash: str,
    proof_expires_at: dt.datetime,
    in_scope: bool,
    path: str | None,
) -> AccessCheck:
    """Check the grant `event["grant_id"]`, record the request, and read the ETag at `path`.

    `event` holds the bound values of the `allowed` audit event (`audit.values`). The proof is
    remembered when the grant is live, even out of scope (so it cannot be tried elsewhere); the
    event is written only when the request is allowed: grant live, proof fresh, `in_scope`.
    """
    params = {**event, "path": path}
    if conn.dialect.name == "postgresql":
        proof = {"proof_hash": proof_hash, "expires_at": proof_expires_at, "in_scope": in_scope}
        revoked, remembered, etag = conn.execute(_POSTGRESQL, {**params, **proof}).one()
        found = revoked is not None
        return AccessCheck(found, bool(revoked), found and not revoked and not remembered, etag)

    revoked, etag = conn.execute(_SQLITE_LOOKUP, params).one()
    found = revoked is not None
    if not found or revoked:
        return AccessCheck(found, bool(revoked), False, etag)
    remembered = conn.execute(
        replay.REMEMBER,
        {"pod_id": event["pod_id"], "proof_hash": proof_hash, "expires_at": proof_expires_at},
    ).rowcount
    if remembered and in_scope:
        conn.execute(INSERT_EVENT, event)
    return AccessCheck(True, False, not remembered, etag)
