"""Used DPoP proofs and signed requests: each is accepted once, by any worker or server."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from pds.store.errors import AlreadyExists
from pds.store.tables import UTCDateTime, dpop_proofs

# Built once: building a Core statement per request costs more than running it (~0.25 ms).
REMEMBER = sa.text(
    "INSERT INTO dpop_proofs (pod_id, proof_hash, expires_at) "
    "VALUES (:pod_id, :proof_hash, :expires_at) ON CONFLICT DO NOTHING"
).bindparams(sa.bindparam("expires_at", type_=UTCDateTime))


def remember(conn: sa.Connection, pod_id: str, proof_hash: str, expires_at: dt.datetime) -> None:
    """Record a proof as used; AlreadyExists if it was used before (a replay)."""
    result = conn.execute(
        REMEMBER, {"pod_id": pod_id, "proof_hash": proof_hash, "expires_at": expires_at}
    )
    if result.rowcount != 1:
        raise AlreadyExists(proof_hash)


def forget_expired(conn: sa.Connection, now: dt.datetime) -> int:
    return conn.execute(dpop_proofs.delete().where(dpop_proofs.c.expires_at < now)).rowcount
