"""Field-limited views: what a grant limited to some predicates may see of a document."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, URIRef
from rdflib.namespace import SH

from pds import schemas
from pds.resources import rdf


def project(graph: Graph, fields: Iterable[str], path: str) -> Graph:
    """The triples whose predicate is one of `fields`, and the declared parts of their values.

    A granted field whose shape points to a node shape (`sh:node`: a postal address, a budget)
    brings along that node's triples for the properties that node shape declares, and so on
    down. Nothing else comes along: not the subject's type, not undeclared extra triples, not
    nodes that merely link back (which could otherwise pull in the whole profile).
    """
    shapes = schemas.shapes_graph()
    root = schemas.shape_for_path(path)
    out = rdf.new_graph()
    for field in fields:
        predicate = URIRef(field)
        nested = _nested_shape(shapes, root, predicate)
        for s, _p, o in graph.triples((None, predicate, None)):
            out.add((s, predicate, o))
            _copy_parts(graph, out, shapes, o, nested, seen=set())
    return out


def _nested_shape(shapes: Graph, node_shape, predicate: URIRef):
    if node_shape is None:
        return None
    for prop in shapes.objects(node_shape, SH.property):
        if shapes.value(prop, SH.path) == predicate:
            return shapes.value(prop, SH.node)
    return None


def _copy_parts(graph: Graph, out: Graph, shapes: Graph, node, node_shape, seen: set) -> None:
    if node_shape is None or node in seen:
        return
    seen.add(node)
    for prop in shapes.objects(node_shape, SH.property):
        predicate = shapes.value(prop, SH.path)
        if not isinstance(predicate, URIRef):
            continue
        deeper = shapes.value(prop, SH.node)
        for _s, _p, value in graph.triples((node, predicate, None)):
            out.add((node, predicate, value))
            _copy_parts(graph, out, shapes, value, deeper, seen)
