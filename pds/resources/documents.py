"""RDF documents of a pod: read (cached by ETag), write, patch and delete, atomically.

Documents are stored as Turtle with absolute IRIs under the pod's base URL. Every write parses
and validates first, then commits with a compare-and-swap on the ETag, so a failed request
leaves the stored bytes untouched and two racing writers cannot both win.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from collections.abc import Callable

import sqlalchemy as sa
from rdflib import Graph

from pds.resources import containers, paths, rdf, validation, views
from pds.resources.cache import LRUCache
from pds.resources.errors import (
    ContainerNotEmpty,
    ETagMismatch,
    NotADocument,
    QuotaExceeded,
    ResourceExists,
    ResourceNotFound,
    WriteContention,
)
from pds.resources.model import (
    ETAG_SUFFIX,
    AfterWrite,
    Change,
    Document,
    PodRef,
    Representation,
    etag_of,
)
from pds.resources.patch import apply_update
from pds.store import AlreadyExists, NotFound, PreconditionFailed, Store
from pds.store import resources as rows

ANY = "*"
_WRITE_ATTEMPTS = 8

GraphCheck = Callable[[Graph], None]
"""A caller's own rule for a document about to be stored: raises (a ResourceError) to refuse."""


def to_storage(graph: Graph, pod: PodRef) -> str:
    """The stored form of a document: Turtle, with the pod's IRIs moved to STORAGE_BASE."""
    return rdf.serialize(rdf.rebase(graph, pod.base_url, rdf.STORAGE_BASE), rdf.TURTLE).decode()


def from_storage(body: str, pod: PodRef, path: str) -> Graph:
    stored = rdf.parse(body.encode(), rdf.TURTLE, paths.resource_iri(rdf.STORAGE_BASE, path))
    return rdf.rebase(stored, rdf.STORAGE_BASE, pod.base_url)


def _matches(condition: frozenset[str] | None, etag: str | None) -> bool:
    """RFC 9110 If-Match: `*` matches any current version, else one of the listed ETags."""
    if condition is None:
        return True
    if etag is None:
        return False
    return ANY in condition or etag in condition


class Documents:
    def __init__(self, store: Store, cache_entries: int = 1024):
        self.store = store
        self._graphs: LRUCache[Graph] = LRUCache(cache_entries)
        self._bodies: LRUCache[Representation] = LRUCache(cache_entries)

    # -- reading -----------------------------------------------------------------------------

    def read(self, pod: PodRef, path: str) -> Document:
        """The current version of a document, or the listing of a container."""
        paths.check_path(path)
        if paths.is_container(path):
            return containers.listing(self.store, pod, path)
        with self.store.read() as conn:
            etag = rows.get_etag(conn, pod.id, path)
            if etag is None:
                raise ResourceNotFound(f"there is no resource at {path}")
            return self._version(conn, pod, path, etag)

    def _version(self, conn: sa.Connection, pod: PodRef, path: str, etag: str) -> Document:
        """The version `etag` of a document, from the cache or (if still current) the row."""
        graph = self._graphs.get((pod.id, path, etag))
        if graph is None:
            row = rows.get(conn, pod.id, path)
            etag, graph = row.etag, from_storage(row.body, pod, path)
            self._graphs.put((pod.id, path, etag), graph)
        return Document(path, paths.resource_iri(pod.base_url, path), etag, graph)

    def represent(
        self,
        pod: PodRef,
        path: str,
        media_type: str,
        *,
        etag: str | None = None,
        fields: frozenset[str] | None = None,
    ) -> Representation:
        """The document at `path` as `media_type`, from bytes cached by (ETag, fields).

        `etag`, when the caller already read it, names the version wanted: no database work
        while that version's bytes are cached. With `fields`, only those predicates (and the
        nodes they lead to) are included, and the view has an ETag of its own, which does not
        follow the other fields.
        """
        if etag is None or paths.is_container(path):
            return self.render(self.read(pod, path), media_type, pod, fields)
        cached = self._bodies.get((pod.id, path, etag, media_type, fields))
        if cached is not None:
            return cached
        with self.store.read() as conn:
            document = self._version(conn, pod, path, etag)
        return self.render(document, media_type, pod, fields)

    def render(
        self,
        document: Document,
        media_type: str,
        pod: PodRef,
        fields: frozenset[str] | None = None,
    ) -> Representation:
        """`document` serialized as `media_type`, cached for as long as its ETag is current."""
        key = (pod.id, document.path, document.etag, media_type, fields)

        def make() -> Representation:
            graph = document.graph
            if fields is not None:
                graph = views.project(graph, fields, document.path)
            body = rdf.serialize(graph, media_type)
            if fields is not None:
                etag = etag_of(body.decode())
            else:
                etag = document.etag + ETAG_SUFFIX.get(media_type, "")
            return Representation(document.path, media_type, body, etag, document.is_container)

        if document.is_container:
            return make()  # listings are built per request: nothing to gain from caching
        return self._bodies.get_or_make(key, make)

    # -- writing -----------------------------------------------------------------------------
    #
    # Every write takes `then`: work that commits in the same transaction as the write (or not
    # at all), given the document before and after. Writes without a precondition retry when a
    # concurrent writer wins the compare-and-swap; `then` runs once, in the attempt that commits.

    def put(
        self,
        pod: PodRef,
        path: str,
        body: bytes,
        media_type: str,
        *,
        if_match: frozenset[str] | None = None,
        if_none_match: bool = False,
        check: GraphCheck | None = None,
        then: AfterWrite | None = None,
    ) -> tuple[str, bool]:
        """Create or replace the document at `path`. Returns (new ETag, created?)."""
        self._check_document_path(path)
        graph = rdf.parse(body, media_type, paths.resource_iri(pod.base_url, path))
        return self.put_graph(
            pod,
            path,
            graph,
            if_match=if_match,
            if_none_match=if_none_match,
            check=check,
            then=then,
        )

    def put_graph(
        self,
        pod: PodRef,
        path: str,
        graph: Graph,
        *,
        if_match: frozenset[str] | None = None,
        if_none_match: bool = False,
        check: GraphCheck | None = None,
        then: AfterWrite | None = None,
    ) -> tuple[str, bool]:
        """Like `put`, for a graph already built (and no longer changed by the caller).

        The violations of a ShapeViolation refer to the nodes of this very graph. `check`, if
        given, runs after the pod's own validation and before anything is stored.
        """
        self._check_document_path(path)
        validation.validate(graph, path)
        if check is not None:
            check(graph)
        return self._store_graph(
            pod, path, graph, if_match=if_match, if_none_match=if_none_match, then=then
        )

    def create_in(
        self,
        pod: PodRef,
        container: str,
        body: bytes,
        media_type: str,
        slug: str | None = None,
        *,
        check: GraphCheck | None = None,
        then: AfterWrite | None = None,
    ) -> tuple[str, str]:
        """Add a new document to `container` (POST); returns (path, ETag). Never overwrites.

        `check` is the caller's own rule for the parsed document (a vendor's record must fit
        the record shapes): it refuses by raising, before anything is stored.
        """
        paths.check_path(container)
        if not paths.is_container(container):
            raise NotADocument(f"{container} is a document: POST to a container (ending in /)")
        name = _slug(slug) or secrets.token_urlsafe(9)
        path = container + name
        try:
            etag, _created = self.put(
                pod, path, body, media_type, if_none_match=True, check=check, then=then
            )
        except ResourceExists:
            path = container + f"{name}-{secrets.token_hex(3)}"
            etag, _created = self.put(
                pod, path, body, media_type, if_none_match=True, check=check, then=then
            )
        return path, etag

    def _store_graph(
        self,
        pod: PodRef,
        path: str,
        graph: Graph,
        *,
        if_match: frozenset[str] | None = None,
        if_none_match: bool = False,
        then: AfterWrite | None = None,
    ) -> tuple[str, bool]:
        body = to_storage(graph, pod)
        new_etag = etag_of(body)
        for _attempt in range(_WRITE_ATTEMPTS):
            try:
                with self.store.begin() as conn:
                    current = rows.get_etag(conn, pod.id, path)
                    if if_none_match and current is not None:
                        raise ResourceExists(f"{path} already exists (If-None-Match: *)")
                    if not _matches(if_match, current):
                        raise ETagMismatch(_stale(path, current))
                    before = None
                    if then is not None and current is not None:
                        before = self._version(conn, pod, path, current).graph
                    if current is None:
                        rows.create(conn, pod.id, path, rdf.TURTLE, body, new_etag)
                    else:
                        rows.replace(conn, pod.id, path, rdf.TURTLE, body, new_etag, current)
                    if pod.quota_bytes is not None:
                        _check_quota(conn, pod, pod.quota_bytes)
                    if then is not None:
                        then(conn, Change(path, before, graph))
                # `graph` is not cached as this version: its blank nodes are named as the
                # request named them, and every reader must serialize the version the same way,
                # from the stored bytes (see parsing.py).
                return new_etag, current is None
            except (AlreadyExists, PreconditionFailed):
                # Another writer committed between our read and our write. With a precondition
                # the client must re-read; without one, last writer wins: try again.
                if if_match is not None or if_none_match:
                    raise ETagMismatch(_stale(path, None)) from None
                _pause(_attempt)
        raise WriteContention(f"{path} is being changed by others too often: try again shortly")

    def patch(
        self,
        pod: PodRef,
        path: str,
        update: str,
        *,
        if_match: frozenset[str] | None = None,
        then: AfterWrite | None = None,
    ) -> tuple[str, bool]:
        """Apply a SPARQL Update to the document (created empty if absent). Atomic."""
        self._check_document_path(path)
        base = paths.resource_iri(pod.base_url, path)
        for _attempt in range(_WRITE_ATTEMPTS):
            with self.store.read() as conn:
                current = rows.get_etag(conn, pod.id, path)
                if not _matches(if_match, current):
                    raise ETagMismatch(_stale(path, current))
                graph = rdf.new_graph()
                if current is not None:  # parsed afresh: cached graphs are shared, never mutated
                    graph = from_storage(rows.get(conn, pod.id, path).body, pod, path)
            apply_update(graph, update, base)
            validation.validate(graph, path)
            try:
                return self._store_graph(
                    pod,
                    path,
                    graph,
                    if_match=frozenset({current}) if current else None,
                    if_none_match=current is None,
                    then=then,
                )
            except (ETagMismatch, ResourceExists):
                if if_match is not None:
                    raise
                _pause(_attempt)
        raise WriteContention(f"{path} is being changed by others too often: try again shortly")

    def delete(
        self,
        pod: PodRef,
        path: str,
        *,
        if_match: frozenset[str] | None = None,
        then: AfterWrite | None = None,
    ) -> None:
        paths.check_path(path)
        if paths.is_container(path):
            with self.store.read() as conn:
                if rows.paths_under(conn, pod.id, path):
                    raise ContainerNotEmpty(f"{path} is not empty: delete what it contains first")
            raise ResourceNotFound(f"there is no container at {path}")
        with self.store.begin() as conn:
            current = rows.get_etag(conn, pod.id, path)
            if current is None:
                raise ResourceNotFound(f"there is no resource at {path}")
            if not _matches(if_match, current):
                raise ETagMismatch(_stale(path, current))
            before = self._version(conn, pod, path, current).graph if then is not None else None
            try:
                rows.delete(conn, pod.id, path, expected_etag=current)
            except (NotFound, PreconditionFailed):
                raise ETagMismatch(_stale(path, None)) from None
            if then is not None:
                then(conn, Change(path, before, None))

    def paths_under(self, pod: PodRef, prefix: str) -> list[tuple[str, dt.datetime]]:
        """(path, last change) of every document under `prefix`, sorted by path."""
        with self.store.read() as conn:
            found = rows.paths_under(conn, pod.id, prefix)
        return [(path, updated) for path, _etag, updated in found]

    @staticmethod
    def _check_document_path(path: str) -> None:
        paths.check_path(path)
        if paths.is_container(path):
            raise NotADocument(f"{path} is a container: write documents inside it")


def _check_quota(conn: sa.Connection, pod: PodRef, quota: int) -> None:
    """Refuse (and so roll back) a write that leaves the pod over its quota. Summing the pod's
    documents costs one indexed scan per write: a personal pod holds hundreds, not millions."""
    used = rows.stored_size(conn, pod.id)
    if used > quota:
        raise QuotaExceeded(
            f"the pod's storage is full: this would use {used:,} of its {quota:,} bytes. "
            "Delete documents you no longer need, or ask your provider for more room"
        )


def _pause(attempt: int) -> None:
    """After a lost compare-and-swap: wait a moment that grows, and differs per writer, so that
    writers of one document do not keep colliding."""
    time.sleep(random.uniform(0, 0.005 * 2**attempt))


def _slug(hint: str | None) -> str | None:
    """A safe document name from a client's Slug header, or None to pick one."""
    if not hint:
        return None
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in hint)
    cleaned = cleaned.strip("-_")[:64]
    return cleaned or None


def _stale(path: str, current: str | None) -> str:
    if current is None:
        return f"{path} changed or does not exist: read it again and retry"
    return f'{path} has changed since you read it (current ETag "{current}"): read it again'
