"""Telling vendors about changes: what a document looked like before a write, and after."""

from __future__ import annotations

from rdflib import Graph

from pds.resources import ResourceNotFound
from pds.server.services import services


def snapshot(path: str) -> Graph | None:
    """The document's graph now (shared, read-only), or None if there is none."""
    svc = services()
    try:
        return svc.documents.read(svc.pod, path).graph
    except ResourceNotFound:
        return None


def tell_vendors(path: str, before: Graph | None, *, by_vendor: str | None = None) -> int:
    """Queue signed notifications for vendors whose live grants see what changed at `path`."""
    return services().consent.grants.resource_changed(
        path, before, snapshot(path), by_vendor=by_vendor
    )
