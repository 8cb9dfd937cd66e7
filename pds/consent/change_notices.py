"""When a document changes, vendors whose live grants see the change are told (signed, queued).

A vendor limited to some fields is told only when those fields changed, so it cannot learn when
the rest of the document moves; the vendor that made the change is not told.
"""

from __future__ import annotations

import sqlalchemy as sa
from rdflib import Graph
from rdflib.compare import isomorphic

from pds.consent.context import PodContext
from pds.consent.scopes import READ, scopes_from_json
from pds.resources import Change
from pds.resources.paths import resource_iri
from pds.resources.views import project
from pds.store import grants as grant_rows

ACTIVITY_TYPES = {"created": "Create", "changed": "Update", "deleted": "Delete"}  # AS 2.0


def queue_change_notices(
    ctx: PodContext, conn: sa.Connection, change: Change, *, by_vendor: str | None = None
) -> int:
    """Queue, in the writing transaction, a notice for every vendor that should know; how many."""
    kind = ACTIVITY_TYPES[change.kind]
    told = 0
    for grant in grant_rows.live(conn, ctx.id, ctx.clock()):
        if not grant.callback or grant.vendor_id == by_vendor:
            continue
        scope = next(
            (
                s
                for s in scopes_from_json(grant.scopes)
                if s.covers(change.path) and READ in s.modes
            ),
            None,
        )
        if scope is None:
            continue
        if scope.fields is not None and _same_view(change, scope.fields):
            continue
        payload = {
            "type": kind,
            "grant": grant.id,
            "object": resource_iri(ctx.base_url, change.path),
        }
        ctx.outbox.queue(conn, grant, payload)
        told += 1
    return told


def _same_view(change: Change, fields: frozenset[str]) -> bool:
    views = [
        project(g, fields, change.path) if g is not None else Graph()
        for g in (change.before, change.after)
    ]
    return isomorphic(*views)
