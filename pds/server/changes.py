"""After a document changes: the owner's own edits go into the activity log, and vendors whose
grants see what changed are told."""

from __future__ import annotations

from rdflib import Graph

from pds.resources import ResourceNotFound
from pds.server.services import services
from pds.store import audit


def snapshot(path: str) -> Graph | None:
    """The document's graph now (shared, read-only), or None if there is none."""
    svc = services()
    try:
        return svc.documents.read(svc.pod, path).graph
    except ResourceNotFound:
        return None


def document_changed(path: str, before: Graph | None, *, by_vendor: str | None = None) -> int:
    """Record the owner's change (vendors' appends are audited when authorized) and queue
    signed notifications for vendors whose live grants see what changed at `path`."""
    svc = services()
    after = snapshot(path)
    if by_vendor is None:
        action = "created" if before is None else "deleted" if after is None else "changed"
        with svc.store.begin() as conn:
            audit.record(
                conn,
                svc.pod.id,
                actor="owner",
                action="data.write",
                resource=path,
                outcome="ok",
                detail={"change": action},
            )
    return svc.consent.grants.resource_changed(path, before, after, by_vendor=by_vendor)
