"""Export a whole pod to one archive (see pds.archive for what it holds)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import tarfile
from typing import IO, Any

import sqlalchemy as sa
from rdflib import Graph, URIRef

from pds.archive.format import (
    FORMAT,
    VERSION,
    Progress,
    generated,
    iso,
    json_bytes,
)
from pds.resources import PodRef
from pds.resources.documents import from_storage
from pds.resources.paths import resource_iri
from pds.store import Store, pods
from pds.store import resources as resource_rows
from pds.store.engine import schema_revision
from pds.store.store import utcnow
from pds.store.tables import EXPORTED_TABLES


def export_pod(store: Store, pod: PodRef, out: IO[bytes], progress: Progress | None = None) -> int:
    """Write the pod to `out` as a .tar.gz archive; returns the number of resources."""
    with store.read() as conn:
        pod_row = pods.get(conn, pod.id)
        rows = resource_rows.all_rows(conn, pod.id)
        tables = {t.name: _dump_rows(conn, t, pod.id) for t in EXPORTED_TABLES}
    revision, _head = schema_revision(store.engine)

    trig = []
    for row in rows:
        graph = from_storage(row.body, pod, row.path)
        trig.append(_named_graph(URIRef(resource_iri(pod.base_url, row.path)), graph))
        if progress:
            progress(1)

    members = {
        "resources.trig": "".join(trig).encode(),
        "pod.json": json_bytes(
            {
                "settings": pod_row.settings,
                "claimed_at": iso(pod_row.claimed_at),
                "owner_password_hash": pod_row.owner_password_hash,
            }
        ),
        **{f"tables/{name}.json": json_bytes(table) for name, table in tables.items()},
    }
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": utcnow().isoformat(),
        "schema_revision": revision,
        "pod": {"id": pod.id, "base_url": pod.base_url},
        "resources": [
            {
                "path": r.path,
                "created_at": r.created_at.isoformat(),
                "updated_at": r.updated_at.isoformat(),
            }
            for r in rows
        ],
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
    }
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in {"manifest.json": json_bytes(manifest), **members}.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o600, int(utcnow().timestamp())
            tar.addfile(info, io.BytesIO(data))
    return len(rows)


def _named_graph(name: URIRef, graph: Graph) -> str:
    """One document as a TriG graph block, every term written out in full.

    rdflib's serializer writes typed literals in their short form, which changes some:
    "15000"^^xsd:decimal comes out as 15000.0. An export keeps each document as it is stored.
    """
    triples = sorted(" ".join(term.n3() for term in triple) for triple in graph)
    return f"{name.n3()} {{\n" + "".join(f"    {t} .\n" for t in triples) + "}\n"


def _dump_rows(conn: sa.Connection, table: sa.Table, pod_id: str) -> list[dict[str, Any]]:
    columns = [c for c in table.columns if c.name != "pod_id" and not generated(c)]
    order = [c for c in table.primary_key.columns if c.name != "pod_id"]
    result = conn.execute(sa.select(*columns).where(table.c.pod_id == pod_id).order_by(*order))
    return [
        {k: iso(v) if isinstance(v, dt.datetime) else v for k, v in r._mapping.items()}
        for r in result
    ]
