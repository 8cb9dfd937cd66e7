"""The owner's own documents: read, write, patch, delete; and the records vendors wrote.

Every change is audited and, for vendors whose live grants see what changed, a notice is queued:
both in the transaction of the write itself, so neither exists without the other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from rdflib import Graph

from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.change_notices import queue_change_notices
from pds.consent.context import PodContext
from pds.resources import Change, Document, Representation, ResourceNotFound
from pds.resources.paths import DATA_PREFIX, check_path

VENDORS = "/vendors/"


@dataclasses.dataclass(frozen=True)
class Written:
    path: str
    etag: str
    created: bool
    vendors_told: int  # notices queued for vendors whose grants see the change
    location: str  # the document's URL


@dataclasses.dataclass(frozen=True)
class VendorRecord:
    vendor_id: str
    name: str  # the document's name in the vendor's container
    updated_at: dt.datetime


class _AfterWrite:
    """Audit the owner's change and queue notices, inside the write's transaction."""

    def __init__(self, ctx: PodContext):
        self.ctx = ctx
        self.told = 0

    def __call__(self, conn: sa.Connection, change: Change) -> None:
        self.ctx.record(
            conn,
            OWNER,
            Action.DATA_WRITE,
            Outcome.OK,
            resource=change.path,
            detail={"change": change.kind},
        )
        self.told = queue_change_notices(self.ctx, conn, change)


class OwnerData:
    def __init__(self, ctx: PodContext):
        self.ctx = ctx

    # -- reading -------------------------------------------------------------------------------

    def represent(self, path: str, media_type: str) -> Representation:
        return self.ctx.documents.represent(self.ctx.ref, path, media_type)

    def document(self, path: str) -> Document | None:
        """The current version of a document (its graph is shared: never change it)."""
        try:
            return self.ctx.documents.read(self.ctx.ref, path)
        except ResourceNotFound:
            return None

    def render(self, document: Document, media_type: str) -> bytes:
        return self.ctx.documents.render(document, media_type, self.ctx.ref).body

    def vendor_records(self) -> list[VendorRecord]:
        """Every record vendors wrote into their containers, by path."""
        out = []
        for path, updated_at in self.ctx.documents.paths_under(self.ctx.ref, VENDORS):
            vendor_id, _, name = path[len(VENDORS) :].partition("/")
            if name and not name.endswith("/"):
                out.append(VendorRecord(vendor_id, name, updated_at))
        return out

    def record(self, vendor_id: str, name: str) -> Document:
        """One record a vendor wrote (not a container)."""
        path = check_path(f"{VENDORS}{vendor_id}/{name}")
        document = self.ctx.documents.read(self.ctx.ref, path)
        if document.is_container:
            raise ResourceNotFound(f"there is no record at {path}")
        return document

    # -- writing -------------------------------------------------------------------------------

    def put(
        self,
        path: str,
        body: bytes,
        media_type: str,
        *,
        if_match: frozenset[str] | None = None,
        if_none_match: bool = False,
    ) -> Written:
        after = _AfterWrite(self.ctx)
        etag, created = self.ctx.documents.put(
            self.ctx.ref,
            path,
            body,
            media_type,
            if_match=if_match,
            if_none_match=if_none_match,
            then=after,
        )
        return self._written(path, etag, created, after)

    def put_graph(
        self,
        path: str,
        graph: Graph,
        *,
        if_match: frozenset[str] | None = None,
        if_none_match: bool = False,
    ) -> Written:
        """Store a graph built by the caller (a form); shape violations name its nodes."""
        after = _AfterWrite(self.ctx)
        etag, created = self.ctx.documents.put_graph(
            self.ctx.ref, path, graph, if_match=if_match, if_none_match=if_none_match, then=after
        )
        return self._written(path, etag, created, after)

    def patch(self, path: str, update: str, *, if_match: frozenset[str] | None = None) -> Written:
        after = _AfterWrite(self.ctx)
        etag, created = self.ctx.documents.patch(
            self.ctx.ref, path, update, if_match=if_match, then=after
        )
        return self._written(path, etag, created, after)

    def create_in(
        self, container: str, body: bytes, media_type: str, slug: str | None = None
    ) -> Written:
        after = _AfterWrite(self.ctx)
        path, etag = self.ctx.documents.create_in(
            self.ctx.ref, container, body, media_type, slug, then=after
        )
        return self._written(path, etag, True, after)

    def delete(self, path: str, *, if_match: frozenset[str] | None = None) -> int:
        """Delete a document; how many vendors were told it is gone."""
        after = _AfterWrite(self.ctx)
        self.ctx.documents.delete(self.ctx.ref, path, if_match=if_match, then=after)
        return self._kick(after)

    def _written(self, path: str, etag: str, created: bool, after: _AfterWrite) -> Written:
        told = self._kick(after)
        location = f"{self.ctx.base_url}{DATA_PREFIX}{path}"
        return Written(path, etag, created, told, location)

    def _kick(self, after: _AfterWrite) -> int:
        if after.told:
            self.ctx.outbox.kick()
        return after.told
