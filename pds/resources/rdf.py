"""Parsing and serializing RDF documents in the formats the pod speaks."""

from __future__ import annotations

import json

from rdflib import Graph, URIRef
from rdflib.exceptions import ParserError
from rdflib.plugins.parsers.notation3 import BadSyntax

from pds.resources import jsonld, parsing
from pds.resources.compaction import write_jsonld
from pds.resources.errors import RDFSyntaxError, UnsupportedMediaType
from pds.resources.terms import PREFIXES
from pds.resources.turtle import write_ntriples, write_turtle

TURTLE = "text/turtle"
JSON_LD = "application/ld+json"
N_TRIPLES = "application/n-triples"

RDF_FORMATS = {TURTLE: "turtle", JSON_LD: "json-ld", N_TRIPLES: "nt"}
"""Media types the pod reads and writes, first is the default for responses."""

MEDIA_TYPES = list(RDF_FORMATS)
MAX_JSON_DEPTH = 64

STORAGE_BASE = "https://pod.invalid"
"""IRIs under the pod's base URL are stored under this base instead, so a pod can change its
address (port, domain) without rewriting its documents."""


def rebase(graph: Graph, old_base: str, new_base: str) -> Graph:
    """A copy of `graph` with every IRI under `old_base`/ moved under `new_base`/."""
    prefix = old_base + "/"

    def move(term):
        if isinstance(term, URIRef) and term.startswith(prefix):
            return URIRef(new_base + term[len(old_base) :])
        return term

    out = new_graph()
    for s, p, o in graph:
        out.add((move(s), move(p), move(o)))
    return out


def new_graph() -> Graph:
    graph = Graph(bind_namespaces="core")
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri)
    return graph


def parse(body: bytes, media_type: str, base: str) -> Graph:
    """Parse `body` as `media_type`, resolving relative IRIs against `base`; never fetches."""
    fmt = RDF_FORMATS.get(media_type)
    if fmt is None:
        raise UnsupportedMediaType(media_type, MEDIA_TYPES)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RDFSyntaxError(f"the body is not UTF-8 (byte {exc.start})") from None
    graph = new_graph()
    if fmt == "json-ld":
        return _parse_jsonld(graph, text, base)
    try:
        if fmt == "turtle":
            parsing.parse_turtle(graph, text, base)
        else:
            parsing.parse_ntriples(graph, text)
    except BadSyntax as exc:
        line_start = text.rfind("\n", 0, exc._i) + 1
        raise RDFSyntaxError(exc._why, exc.lines + 1, exc._i - line_start + 1) from None
    except ParserError as exc:
        raise RDFSyntaxError(str(exc), _first_bad_ntriples_line(text, base)) from None
    except RecursionError:
        raise RDFSyntaxError("blank nodes or lists are nested too deeply to read") from None
    # rdflib's parsers also raise these on bad input (an unfinished `@prefix` is an IndexError)
    except (ValueError, TypeError, AssertionError, IndexError, KeyError) as exc:
        raise RDFSyntaxError(str(exc) or type(exc).__name__) from None
    return graph


def _parse_jsonld(graph: Graph, text: str, base: str) -> Graph:
    try:
        document = json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        raise RDFSyntaxError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise RDFSyntaxError("the JSON is nested too deeply") from None
    if _depth(document) > MAX_JSON_DEPTH:
        raise RDFSyntaxError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
    document = jsonld.localise(document)
    if isinstance(document, list):
        # A top-level array is a set of node objects (JSON-LD 1.1, 9.1), as pyoxigraph and
        # jsonld.js write it: the same as a @graph of them, which rdflib takes.
        document = {"@graph": document}
    try:
        parsing.parse_jsonld(graph, document, base)
    except (ValueError, TypeError, KeyError, AttributeError, RuntimeError) as exc:
        raise RDFSyntaxError(f"invalid JSON-LD: {exc}") from None
    return graph


def _not_json(constant: str) -> None:
    raise RDFSyntaxError(f"{constant} is not a JSON value")


def _depth(node, level: int = 1) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    return max((_depth(c, level + 1) for c in children), default=level)


def _first_bad_ntriples_line(text: str, base: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            Graph().parse(data=line, format="nt", publicID=base)
        except (ParserError, ValueError):
            return number
    return None


def serialize(graph: Graph, media_type: str) -> bytes:
    """Serialize to `media_type`: the same bytes for the same graph, in every process, with
    every literal as written. JSON-LD is compacted with the pod's context, inline."""
    write = {TURTLE: write_turtle, JSON_LD: write_jsonld, N_TRIPLES: write_ntriples}[media_type]
    return write(graph).encode()
