"""RDF documents of a pod: read (cached by ETag), write, patch and delete, atomically.

Documents are stored as Turtle with absolute IRIs under the pod's base URL. Every write parses
and validates first, then commits with a compare-and-swap on the ETag, so a failed request
leaves the stored bytes untouched and two racing writers cannot both win.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets

from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, XSD

from pds.resources import paths, rdf, validation, views
from pds.resources.cache import LRUCache
from pds.resources.errors import (
    ContainerNotEmpty,
    ETagMismatch,
    NotADocument,
    ResourceExists,
    ResourceNotFound,
)
from pds.resources.patch import apply_update
from pds.store import AlreadyExists, NotFound, PreconditionFailed, Store
from pds.store import resources as rows

ANY = "*"
LDP = Namespace("http://www.w3.org/ns/ldp#")
_WRITE_ATTEMPTS = 5


@dataclasses.dataclass(frozen=True)
class PodRef:
    """The pod a request is about: its key in the store and the base of its IRIs."""

    id: str
    base_url: str


@dataclasses.dataclass(frozen=True)
class Document:
    """A version of a document or container listing. `graph` is shared: never mutate it."""

    path: str
    iri: str
    etag: str
    graph: Graph
    is_container: bool = False


def to_storage(graph: Graph, pod: PodRef) -> str:
    """The stored form of a document: Turtle, with the pod's IRIs moved to STORAGE_BASE."""
    return rdf.serialize(rdf.rebase(graph, pod.base_url, rdf.STORAGE_BASE), rdf.TURTLE).decode()


def from_storage(body: str, pod: PodRef, path: str) -> Graph:
    stored = rdf.parse(body.encode(), rdf.TURTLE, paths.resource_iri(rdf.STORAGE_BASE, path))
    return rdf.rebase(stored, rdf.STORAGE_BASE, pod.base_url)


def etag_of(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:32]


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
        self._bodies: LRUCache[bytes] = LRUCache(cache_entries)

    # -- reading -----------------------------------------------------------------------------

    def read(self, pod: PodRef, path: str) -> Document:
        """The current version of a document, or the listing of a container."""
        paths.check_path(path)
        if paths.is_container(path):
            return self._container(pod, path)
        iri = paths.resource_iri(pod.base_url, path)
        with self.store.read() as conn:
            etag = rows.get_etag(conn, pod.id, path)
            if etag is None:
                raise ResourceNotFound(f"there is no resource at {path}")
            graph = self._graphs.get((pod.id, path, etag))
            if graph is None:
                row = rows.get(conn, pod.id, path)
        if graph is None:
            etag, graph = row.etag, from_storage(row.body, pod, path)
            self._graphs.put((pod.id, path, etag), graph)
        return Document(path, iri, etag, graph)

    def render(
        self, pod: PodRef, document: Document, media_type: str, fields: frozenset[str] | None = None
    ) -> bytes:
        """`document` serialized as `media_type`, cached for as long as its ETag is current.

        With `fields`, only those predicates (and the nodes they lead to) are included.
        """
        key = (pod.id, document.path, document.etag, media_type, fields)

        def make() -> bytes:
            graph = document.graph
            if fields is not None:
                graph = views.project(graph, fields, document.path)
            return rdf.serialize(graph, media_type)

        return self._bodies.get_or_make(key, make)

    def create_in(
        self, pod: PodRef, container: str, body: bytes, media_type: str, slug: str | None = None
    ) -> tuple[str, str]:
        """Add a new document to `container` (POST); returns (path, ETag). Never overwrites."""
        paths.check_path(container)
        if not paths.is_container(container):
            raise NotADocument(f"{container} is a document: POST to a container (ending in /)")
        name = _slug(slug) or secrets.token_urlsafe(9)
        path = container + name
        try:
            etag, _created = self.put(pod, path, body, media_type, if_none_match=True)
        except ResourceExists:
            path = container + f"{name}-{secrets.token_hex(3)}"
            etag, _created = self.put(pod, path, body, media_type, if_none_match=True)
        return path, etag

    def _container(self, pod: PodRef, path: str) -> Document:
        with self.store.read() as conn:
            children = rows.paths_under(conn, pod.id, path)
        if not children and path != "/":
            raise ResourceNotFound(f"there is no container at {path}")
        iri = paths.resource_iri(pod.base_url, path)
        graph = rdf.new_graph()
        node = URIRef(iri)
        graph.add((node, RDF.type, LDP.BasicContainer))
        graph.add((node, RDF.type, LDP.Container))
        seen = set()
        for child_path, _etag, updated_at in children:
            rest = child_path[len(path) :]
            name = rest.split("/", 1)[0] + ("/" if "/" in rest else "")
            if name in seen:
                continue
            seen.add(name)
            child = URIRef(paths.resource_iri(pod.base_url, path + name))
            graph.add((node, LDP.contains, child))
            if not name.endswith("/"):
                graph.add((child, DCTERMS.modified, Literal(updated_at, datatype=XSD.dateTime)))
        etag = etag_of("\n".join(f"{p} {e}" for p, e, _ in children) or path)
        return Document(path, iri, etag, graph, is_container=True)

    # -- writing -----------------------------------------------------------------------------

    def put(
        self,
        pod: PodRef,
        path: str,
        body: bytes,
        media_type: str,
        *,
        if_match: frozenset[str] | None = None,
        if_none_match: bool = False,
    ) -> tuple[str, bool]:
        """Create or replace the document at `path`. Returns (new ETag, created?)."""
        self._check_document_path(path)
        graph = rdf.parse(body, media_type, paths.resource_iri(pod.base_url, path))
        validation.validate(graph, path)
        return self._store_graph(pod, path, graph, if_match=if_match, if_none_match=if_none_match)

    def _store_graph(
        self,
        pod: PodRef,
        path: str,
        graph: Graph,
        *,
        if_match: frozenset[str] | None = None,
        if_none_match: bool = False,
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
                    if current is None:
                        rows.create(conn, pod.id, path, rdf.TURTLE, body, new_etag)
                    else:
                        rows.replace(conn, pod.id, path, rdf.TURTLE, body, new_etag, current)
                self._graphs.put((pod.id, path, new_etag), graph)
                return new_etag, current is None
            except (AlreadyExists, PreconditionFailed):
                # Another writer committed between our read and our write. With a precondition
                # the client must re-read; without one, last writer wins: try again.
                if if_match is not None or if_none_match:
                    raise ETagMismatch(_stale(path, None)) from None
        raise ETagMismatch(f"{path} is being changed by others too often: try again")

    def patch(
        self, pod: PodRef, path: str, update: str, *, if_match: frozenset[str] | None = None
    ) -> tuple[str, bool]:
        """Apply a SPARQL Update to the document (created empty if absent). Atomic."""
        self._check_document_path(path)
        base = paths.resource_iri(pod.base_url, path)
        for _attempt in range(_WRITE_ATTEMPTS):
            with self.store.begin() as conn:
                current = rows.get_etag(conn, pod.id, path)
                if not _matches(if_match, current):
                    raise ETagMismatch(_stale(path, current))
                graph = rdf.new_graph()
                if current is not None:
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
                )
            except ETagMismatch:
                if if_match is not None:
                    raise
        raise ETagMismatch(f"{path} is being changed by others too often: try again")

    def delete(self, pod: PodRef, path: str, *, if_match: frozenset[str] | None = None) -> None:
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
            try:
                rows.delete(conn, pod.id, path, expected_etag=current)
            except (NotFound, PreconditionFailed):
                raise ETagMismatch(_stale(path, None)) from None

    @staticmethod
    def _check_document_path(path: str) -> None:
        paths.check_path(path)
        if paths.is_container(path):
            raise NotADocument(f"{path} is a container: write documents inside it")


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
