"""What the writers share: a fixed order of RDF terms, and the graph gathered by subject.

Nothing here depends on hashing or on the order a graph yields its triples, which changes with
PYTHONHASHSEED: the same graph, blank node labels included, always comes out the same.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from pds import schemas

PREFIXES = {
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "dpv": "https://w3id.org/dpv#",
    "ldp": "http://www.w3.org/ns/ldp#",
    "dcterms": "http://purl.org/dc/terms/",
    "pds": str(schemas.VOCAB),
}
"""Prefixes the pod writes (with rdf, rdfs and xsd); other IRIs are written in full."""

WRITTEN_PREFIXES = {
    **PREFIXES,
    "rdf": str(RDF),
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

_PARSED_LABEL = re.compile(r"b([0-9]{1,9})")

TermKey = tuple[int, int, int, str, str, str]


def term_key(term: Node) -> TermKey:
    """IRIs, then blank nodes, then literals; strings by code point; `b2` before `b10`."""
    if isinstance(term, URIRef):
        return (0, 0, 0, str(term), "", "")
    if isinstance(term, BNode):
        label = _PARSED_LABEL.fullmatch(term)
        return (1, 0, int(label.group(1)), "", "", "") if label else (1, 1, 0, str(term), "", "")
    if isinstance(term, Literal):
        return (2, 0, 0, str(term), str(term.datatype or ""), term.language or "")
    raise TypeError(f"not an RDF term: {term!r}")


class Statements:
    """A graph gathered by subject, in the order writers need, with the same result every time.

    `subjects` come IRIs first, then each by how often it is an object (the nodes a document
    is about before the nodes they point to), then by `term_key`. Each subject's predicates
    are sorted with rdf:type first, and each predicate's objects are sorted.
    """

    def __init__(self, graph: Graph):
        by_subject: defaultdict[Node, defaultdict[URIRef, list[Node]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.references: Counter[Node] = Counter()
        blank: set[BNode] = set()
        for s, p, o in graph:
            by_subject[s][p].append(o)  # type: ignore[index]
            self.references[o] += 1
            blank.update(t for t in (s, o) if isinstance(t, BNode))
        self.properties: dict[Node, list[tuple[URIRef, list[Node]]]] = {
            subject: sorted(
                ((p, sorted(objects, key=term_key)) for p, objects in predicates.items()),
                key=lambda item: (item[0] != RDF.type, str(item[0])),
            )
            for subject, predicates in by_subject.items()
        }
        self.subjects: list[Node] = sorted(
            self.properties,
            key=lambda s: (isinstance(s, BNode), self.references[s], term_key(s)),
        )
        self.blank_nodes: list[BNode] = sorted(blank, key=term_key)


def blank_labels(nodes: Iterable[BNode]) -> dict[BNode, str]:
    """`b0`, `b1`... for `nodes` in `term_key` order: short, gapless, and the same every time."""
    return {node: f"b{n}" for n, node in enumerate(sorted(nodes, key=term_key))}
