"""A pod as the first migration (0001) stored it: its four tables, spelled out as 0001 made them
(history, not today's pds/store/tables.py), and realistic rows to put in them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from rdflib import Graph

from pds import schemas
from pds.resources import PodRef
from pds.resources.documents import to_storage
from pds.resources.model import etag_of
from tests.conftest import CHEAP_HASHER, PASSWORD

REVISION = "0001"
UTCDateTime = sa.DateTime(timezone=True)

_history = sa.MetaData()
PODS = sa.Table(
    "pods",
    _history,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("base_url", sa.String(512), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("claimed_at", UTCDateTime),
    sa.Column("owner_password_hash", sa.String(256)),
    sa.Column("setup_code_hash", sa.String(64)),
    sa.Column("setup_code_expires_at", UTCDateTime),
    sa.Column("settings", sa.JSON, nullable=False),
)
RESOURCES = sa.Table(
    "resources",
    _history,
    sa.Column("pod_id", sa.String(64), primary_key=True),
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("media_type", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("etag", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
API_TOKENS = sa.Table(
    "api_tokens",
    _history,
    sa.Column("pod_id", sa.String(64), primary_key=True),
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime),
    sa.Column("revoked_at", UTCDateTime),
)
AUDIT_EVENTS = sa.Table(
    "audit_events",
    _history,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("pod_id", sa.String(64), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("resource", sa.String(1024)),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
)
TABLES = (PODS, RESOURCES, API_TOKENS, AUDIT_EVENTS)

OWNER_POD = PodRef("alex", "https://alex.example.org")
OTHER_POD = PodRef("sam", "http://127.0.0.1:8123")
NOTE = """
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<#n> a schema:NoteDigitalDocument ;
    schema:text "Zoë's sizes: EU 38 ✓ — \\"narrow\\" fit\\nsecond line" ;
    schema:dateCreated "2026-11-20T08:30:00.123456+01:00"^^xsd:dateTime .
"""


@dataclasses.dataclass(frozen=True)
class FirstPod:
    """What the rows hold that the pod of today must still understand."""

    pod: PodRef
    documents: dict[str, str]  # path -> Turtle as written, relative to the document
    token: str  # the live API token, as its owner holds it
    revoked_token: str


def _document(pod: PodRef, path: str, turtle: str) -> str:
    graph = Graph().parse(data=turtle, format="turtle", publicID=f"{pod.base_url}/data{path}")
    return to_storage(graph, pod)


def fill(conn: sa.Connection) -> FirstPod:
    """Two pods (one claimed, one waiting for its setup code), their documents, tokens and
    audit events, as 0001's code wrote them."""
    made = dt.datetime(2026, 11, 23, 9, 15, 42, 123456, tzinfo=dt.UTC)
    later = made + dt.timedelta(days=3, microseconds=7)
    samples = schemas.sample_documents()
    documents = {"/profile": samples["/profile"], "/preferences": samples["/preferences"]}
    documents["/notes/2026/sizes"] = NOTE
    conn.execute(
        sa.insert(PODS),
        [
            {
                "id": OWNER_POD.id,
                "base_url": OWNER_POD.base_url,
                "created_at": made,
                "claimed_at": made + dt.timedelta(minutes=2),
                "owner_password_hash": CHEAP_HASHER.hash(PASSWORD),
                "setup_code_hash": None,
                "setup_code_expires_at": None,
                "settings": {"session_epoch": 3, "terms": {"retention_days": 30, "resale": False}},
            },
            {
                "id": OTHER_POD.id,
                "base_url": OTHER_POD.base_url,
                "created_at": later,
                "claimed_at": None,
                "owner_password_hash": None,
                "setup_code_hash": "9f2c" * 16,
                "setup_code_expires_at": later + dt.timedelta(hours=24),
                "settings": {},
            },
        ],
    )
    rows = []
    for step, (path, turtle) in enumerate(documents.items()):
        body = _document(OWNER_POD, path, turtle)
        written = made + dt.timedelta(minutes=5 + step)
        rows.append(
            {
                "pod_id": OWNER_POD.id,
                "path": path,
                "media_type": "text/turtle",
                "body": body,
                "etag": etag_of(body),
                "created_at": written,
                "updated_at": written + dt.timedelta(seconds=step, microseconds=step),
            }
        )
    other = _document(OTHER_POD, "/profile", samples["/profile"])
    rows.append({**rows[0], "pod_id": OTHER_POD.id, "body": other, "etag": etag_of(other)})
    conn.execute(sa.insert(RESOURCES), rows)
    secrets_of = {"live": secrets.token_urlsafe(32), "gone": secrets.token_urlsafe(32)}
    conn.execute(
        sa.insert(API_TOKENS),
        [
            {
                "pod_id": OWNER_POD.id,
                "id": "a1b2c3d4e5f60718",
                "name": "backup script ✓",
                "secret_hash": _sha256(secrets_of["live"]),
                "created_at": made + dt.timedelta(minutes=3),
                "last_used_at": later,
                "revoked_at": None,
            },
            {
                "pod_id": OWNER_POD.id,
                "id": "0f1e2d3c4b5a6978",
                "name": "old laptop",
                "secret_hash": _sha256(secrets_of["gone"]),
                "created_at": made + dt.timedelta(minutes=4),
                "last_used_at": None,
                "revoked_at": later,
            },
        ],
    )
    events = [
        ("owner", "owner.claim", None, "ok", {}),
        ("owner", "owner.token.create", None, "ok", {"token": "a1b2c3d4e5f60718"}),
        *(("owner", "data.write", path, "ok", {"change": "created"}) for path in documents),
        ("owner", "owner.login", None, "refused", {"reason": "bad password", "attempt": 2}),
        ("owner", "owner.token.revoke", None, "ok", {"token": "0f1e2d3c4b5a6978"}),
    ]
    conn.execute(
        sa.insert(AUDIT_EVENTS),
        [
            {
                "pod_id": OWNER_POD.id,
                "at": made + dt.timedelta(seconds=30 * n),
                "actor": actor,
                "action": action,
                "resource": resource,
                "outcome": outcome,
                "detail": detail,
            }
            for n, (actor, action, resource, outcome, detail) in enumerate(events)
        ],
    )
    return FirstPod(
        pod=OWNER_POD,
        documents=documents,
        token=f"pds_a1b2c3d4e5f60718_{secrets_of['live']}",
        revoked_token=f"pds_0f1e2d3c4b5a6978_{secrets_of['gone']}",
    )


def rows_of(conn: sa.Connection) -> dict[str, list[tuple]]:
    """Every row of the four tables, with the columns 0001 gave them, in key order."""
    return {
        table.name: [
            tuple(row)
            for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
        ]
        for table in TABLES
    }


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
