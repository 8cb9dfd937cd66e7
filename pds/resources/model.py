"""What the resources layer hands out: a pod's identity, document versions, representations."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable

import sqlalchemy as sa
from rdflib import Graph

from pds.resources.rdf import JSON_LD, N_TRIPLES

# Strong ETags differ per representation (RFC 9110 8.8.3); Turtle is the stored form.
ETAG_SUFFIX = {JSON_LD: "-jsonld", N_TRIPLES: "-nt"}


@dataclasses.dataclass(frozen=True)
class PodRef:
    """The pod a request is about: its key in the store and the base of its IRIs."""

    id: str
    base_url: str
    quota_bytes: int | None = None  # documents may hold at most this much text; None: no limit


@dataclasses.dataclass(frozen=True)
class Document:
    """A version of a document or container listing. `graph` is shared: never mutate it."""

    path: str
    iri: str
    etag: str
    graph: Graph
    is_container: bool = False


@dataclasses.dataclass(frozen=True)
class Representation:
    """A document (or a field-limited view of it) serialized for the wire, with its own ETag."""

    path: str
    media_type: str
    body: bytes
    etag: str
    is_container: bool = False


@dataclasses.dataclass(frozen=True)
class Change:
    """A document as it was and as it is now (None: absent), inside the writing transaction."""

    path: str
    before: Graph | None
    after: Graph | None

    @property
    def kind(self) -> str:
        """`created`, `changed` or `deleted`."""
        if self.before is None:
            return "created"
        return "deleted" if self.after is None else "changed"


AfterWrite = Callable[[sa.Connection, Change], None]
"""Work that must commit with a write, or not at all: audit events, notifications."""


def document_etags(tags: frozenset[str] | None) -> frozenset[str] | None:
    """If-Match tags as document versions: any representation's ETag names its document."""
    if tags is None:
        return None
    out = set()
    for tag in tags:
        for suffix in ETAG_SUFFIX.values():
            tag = tag.removesuffix(suffix)
        out.add(tag)
    return frozenset(out)


def etag_of(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:32]
