"""Rows of IEEE 7012 agreement interactions: each one signed by the pod, kept for good."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from pds.store.tables import agreement_records as t


@dataclasses.dataclass(frozen=True)
class AgreementRecordRow:
    id: str
    request_id: str
    sequence: int  # 1 the proffer, 2 the vendor's answer, 3 and on the customer's decisions
    interaction: str  # proffer, answer, decision
    vendor_id: str
    agreement: str | None
    status: str  # a DPV P7012 negotiation status IRI
    at: dt.datetime
    signed: str  # the pod's signed record (compact JWS)
    vendor_signed: str | None  # the vendor's signed answer, as sent


_COLUMNS = tuple(t.c[f.name] for f in dataclasses.fields(AgreementRecordRow))


def add(conn: sa.Connection, pod_id: str, row: AgreementRecordRow) -> None:
    conn.execute(t.insert().values(pod_id=pod_id, **dataclasses.asdict(row)))


def of_request(conn: sa.Connection, pod_id: str, request_id: str) -> list[AgreementRecordRow]:
    """The records of one access request, in the order they happened."""
    query = (
        sa.select(*_COLUMNS)
        .where(t.c.pod_id == pod_id, t.c.request_id == request_id)
        .order_by(t.c.sequence)
    )
    return [AgreementRecordRow(*r) for r in conn.execute(query)]


def latest(conn: sa.Connection, pod_id: str, limit: int) -> list[AgreementRecordRow]:
    """The pod's latest records, newest first."""
    query = (
        sa.select(*_COLUMNS)
        .where(t.c.pod_id == pod_id)
        .order_by(t.c.at.desc(), t.c.sequence.desc())
        .limit(limit)
    )
    return [AgreementRecordRow(*r) for r in conn.execute(query)]


def next_sequence(conn: sa.Connection, pod_id: str, request_id: str) -> int:
    query = sa.select(sa.func.max(t.c.sequence)).where(
        t.c.pod_id == pod_id, t.c.request_id == request_id
    )
    return int(conn.execute(query).scalar() or 0) + 1
