"""Field-limited views: what a grant limited to some predicates may see of a document."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import BNode, Graph, URIRef

from pds.resources import rdf


def project(graph: Graph, fields: Iterable[str], document_iri: str) -> Graph:
    """The triples whose predicate is one of `fields`, with the nodes they lead to.

    A granted field such as `schema:address` leads to a node (a blank node or `<#home>` in the
    same document): its description comes along, since the address is the field's value.
    Nothing else of the subject is shown, not even its type.
    """
    predicates = {URIRef(f) for f in fields}
    out = rdf.new_graph()
    pending = []
    for s, p, o in graph:
        if p in predicates:
            out.add((s, p, o))
            pending.append(o)
    seen = set()
    while pending:
        node = pending.pop()
        if node in seen or not _local(node, document_iri):
            continue
        seen.add(node)
        for s, p, o in graph.triples((node, None, None)):
            out.add((s, p, o))
            pending.append(o)
    return out


def _local(node, document_iri: str) -> bool:
    return isinstance(node, BNode) or (
        isinstance(node, URIRef) and str(node).startswith(document_iri + "#")
    )
