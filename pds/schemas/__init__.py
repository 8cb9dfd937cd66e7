"""The pod's vocabulary, SHACL shapes, JSON-LD context, purpose list and sample documents.

This package is data. The functions here only load the files beside them, once, from the
installed package; nothing is ever fetched from the network.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources

from rdflib import Graph, Namespace, URIRef

__all__ = [
    "CONTEXT_IRI",
    "VOCAB",
    "categories_graph",
    "jsonld_context",
    "purposes_graph",
    "record_shapes_graph",
    "sample_documents",
    "shape_for_path",
    "shapes_graph",
]

VOCAB = Namespace("https://w3id.org/vrm-pod/ns#")
CONTEXT_IRI = "https://w3id.org/vrm-pod/context.jsonld"

# Base IRI for the package's own files: they hold no relative IRIs, and an explicit base keeps
# rdflib from inventing one from a local file path.
_FILES_BASE = "https://w3id.org/vrm-pod/schemas/"
_SHAPE_FILES = (
    "vocab.ttl",
    "shapes/profile.ttl",
    "shapes/preferences.ttl",
    "shapes/intent.ttl",
    "shapes/records.ttl",
)
_RECORD_SHAPES = "shapes/records.ttl"
_SAMPLE_FILES = {
    "/profile": "samples/profile.ttl",
    "/preferences": "samples/preferences.ttl",
    "/intents/small-car": "samples/intent.ttl",
}


def _read_text(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def _parse_turtle(*names: str) -> Graph:
    graph = Graph()
    for name in names:
        graph.parse(data=_read_text(name), format="turtle", publicID=_FILES_BASE + name)
    return graph


@cache
def _context_document() -> dict:
    return json.loads(_read_text("context.jsonld"))


def jsonld_context() -> dict:
    """The JSON-LD context document served at CONTEXT_IRI, i.e. ``{"@context": {...}}``.

    Each call returns a fresh deep copy, so the caller may change it freely.
    """
    return copy.deepcopy(_context_document())


@cache
def shapes_graph() -> Graph:
    """Every shape (profile, preferences, intents, records) merged with the vocabulary. Shared:
    do not mutate."""
    return _parse_turtle(*_SHAPE_FILES)


@cache
def record_shapes_graph() -> Graph:
    """The shapes of the records vendors add (receipts, warranties, service visits), alone: a
    record is checked against these, not against the profile's. Shared: do not mutate."""
    return _parse_turtle(_RECORD_SHAPES)


@cache
def shapes_turtle() -> str:
    """The shapes and the vocabulary as one Turtle document, as discovery serves them."""
    return "\n".join(_read_text(name) for name in _SHAPE_FILES)


@cache
def categories_graph() -> Graph:
    """The categories an intent may name (SKOS, from the Google Product Taxonomy). Do not mutate."""
    return _parse_turtle("categories.ttl")


@cache
def purposes_graph() -> Graph:
    """The W3C DPV purposes a vendor may cite, with customer-facing labels. Do not mutate."""
    return _parse_turtle("purposes.ttl")


@cache
def _resource_types() -> tuple[dict[str, URIRef], tuple[tuple[str, URIRef], ...]]:
    graph = _parse_turtle("resource-types.ttl")
    exact: dict[str, URIRef] = {}
    prefixes: list[tuple[str, URIRef]] = []
    for resource_type, shape in graph.subject_objects(VOCAB.shape):
        if not isinstance(shape, URIRef):
            raise ValueError(f"resource-types.ttl: the shape of {resource_type} is not an IRI")
        for path in graph.objects(resource_type, VOCAB.path):
            exact[str(path)] = shape
        for prefix in graph.objects(resource_type, VOCAB.pathPrefix):
            prefixes.append((str(prefix), shape))
    prefixes.sort(key=lambda entry: len(entry[0]), reverse=True)
    return exact, tuple(prefixes)


def shape_for_path(path: str) -> URIRef | None:
    """The shape a document at this pod path must conform to, or None if none applies.

    The path is pod-relative and already normalised, e.g. ``"/profile"`` or
    ``"/preferences/food"``. An exact path wins over a folder prefix; among prefixes, the
    longest wins.
    """
    exact, prefixes = _resource_types()
    if path in exact:
        return exact[path]
    for prefix, shape in prefixes:
        if path.startswith(prefix):
            return shape
    return None


def sample_documents() -> dict[str, str]:
    """Demo documents that conform to the shapes, as Turtle text keyed by pod path.

    They use relative IRIs (``<#me>``, ``<#prefs>``): parse them with the document's own
    address as base.
    """
    return {path: _read_text(name) for path, name in _SAMPLE_FILES.items()}
