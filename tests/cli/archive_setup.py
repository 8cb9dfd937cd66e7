"""A pod worth moving, and archive surgery: shared by the export and import tests."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import sqlalchemy as sa

from pds import schemas
from pds.consent import open_pod
from pds.resources import Documents
from pds.store import Store, audit, pods
from pds.store import resources as resource_rows
from pds.store.tables import EXPORTED_TABLES
from tests.conftest import CHEAP_HASHER, PASSWORD

SCHEMA = "https://schema.org/"
NOTES = """
    @prefix schema: <https://schema.org/> .
    <#today> a schema:Note ;
        schema:about <../profile#me> , <https://elsewhere.example/thing> ;
        schema:text "Buy a bicycle bell" .
"""
POD_SETTINGS = {"display_name": "Alex", "terms": {"marketing": False, "languages": ["en", "fr"]}}


# -- a pod worth moving -------------------------------------------------------------------------


def documents_of() -> dict[str, str]:
    """Turtle first written to each path of the pod made by `filled_pod`."""
    return {**schemas.sample_documents(), "/notes/today": NOTES}


def filled_pod(store: Store, name: str):
    """A claimed pod with typed and untyped documents, settings, tokens and an audit trail."""
    pod = open_pod(store, name, f"https://{name}.example", password_hasher=CHEAP_HASHER)
    # Written as an import would, below the owner's API: no audit events of their own.
    documents = Documents(store)
    for path, turtle in documents_of().items():
        documents.put(pod.ctx.ref, path, turtle.encode(), "text/turtle")
    # A second write, so that updated_at differs from created_at.
    documents.put(
        pod.ctx.ref,
        "/notes/today",
        NOTES.replace("bell", "bell and a lamp").encode(),
        "text/turtle",
    )
    with store.begin() as conn:
        pods.update(conn, pod.id, settings=POD_SETTINGS)
    owner = pod.account
    owner.set_password(PASSWORD)
    _kept, kept_secret = owner.create_token("backup script")
    revoked, revoked_secret = owner.create_token("old laptop")
    owner.revoke_token(revoked.id)
    return pod, kept_secret, revoked_secret


def exported(store: Store, pod) -> bytes:
    out = io.BytesIO()
    pod.export_archive(out)
    return out.getvalue()


def empty_pod(store: Store, name: str):
    return open_pod(store, name, f"http://{name}.localhost:9999", password_hasher=CHEAP_HASHER)


def audit_trail(store: Store, pod_id: str) -> list[tuple]:
    with store.read() as conn:
        events = audit.query(conn, pod_id, limit=1000)
    return [(e.at, e.actor, e.action, e.resource, e.outcome, e.detail) for e in reversed(events)]


def assert_untouched(store: Store, pod) -> None:
    """The target pod is exactly as `open_pod` made it: no data, no owner, no tokens, no audit."""
    with store.read() as conn:
        row = pods.get(conn, pod.id)
        assert resource_rows.all_rows(conn, pod.id) == []
        assert row.claimed_at is None
        assert row.owner_password_hash is None
        assert row.settings == {}
        for table in EXPORTED_TABLES:
            count = conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.pod_id == pod.id)
            ).scalar_one()
            assert count == 0, f"{table.name} has rows after a refused import"


# -- archive surgery ------------------------------------------------------------------------------


def members_of(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return {info.name: tar.extractfile(info).read() for info in tar}


def tar_of(members: dict[str, bytes], *extra: tarfile.TarInfo) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return out.getvalue()


def with_checksums(members: dict[str, bytes]) -> dict[str, bytes]:
    """`members` with a manifest whose checksums match them again, as a careful forger would."""
    manifest = json.loads(members["manifest.json"])
    manifest["files"] = {
        name: hashlib.sha256(data).hexdigest()
        for name, data in members.items()
        if name != "manifest.json"
    }
    return {**members, "manifest.json": json.dumps(manifest).encode()}


def _flip_a_byte(members):
    trig = bytearray(members["resources.trig"])
    at = trig.index(b"Alex Example")
    trig[at] = ord("E")
    return tar_of({**members, "resources.trig": bytes(trig)})
