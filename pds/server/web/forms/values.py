"""Form values <-> RDF: a stored graph as form values, and posted values as the graph to store."""

from __future__ import annotations

import dataclasses
import re

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from pds.resources import rdf
from pds.server.web.forms.model import (
    CHECKBOX,
    CHOICE,
    DATE,
    GROUP,
    NUMBER,
    Field,
    FormModel,
    FormValues,
)

# -- stored graph -> form values -----------------------------------------------------------------


def main_node(model: FormModel, graph: Graph, document_iri: str) -> URIRef:
    """The node the document is about: `<#me>` for the profile, `<#prefs>` for preferences."""
    default = URIRef(f"{document_iri}#{model.main_fragment}")
    typed = sorted(s for s in graph.subjects(RDF.type, model.target_class) if isinstance(s, URIRef))
    return default if default in typed or not typed else typed[0]


def _stored_rows(graph: Graph, node, field: Field) -> list:
    """The nested nodes of a field, in a stable order: their `-ref` is an index into it."""
    nodes = [o for o in graph.objects(node, field.predicate) if not isinstance(o, Literal)]
    return sorted(
        nodes,
        key=lambda o: (
            tuple(str(graph.value(o, s.predicate) or "") for s in field.subfields),
            str(o) if isinstance(o, URIRef) else "",
        ),
    )


def values_from_graph(model: FormModel, graph: Graph, document_iri: str) -> dict[str, list[str]]:
    """What the form shows for a stored document, as input name -> values."""
    node = main_node(model, graph, document_iri)
    values: dict[str, list[str]] = {}
    for field in model.fields:
        if field.kind == GROUP:
            for row, nested in enumerate(_stored_rows(graph, node, field)):
                values[f"{field.key}-{row}-ref"] = [str(row)]
                for sub in field.subfields:
                    value = graph.value(nested, sub.predicate)
                    if value is not None:
                        values[f"{field.key}-{row}-{sub.key}"] = [str(value)]
            continue
        stored = sorted(graph.objects(node, field.predicate), key=str)
        if field.kind == CHOICE:
            values[field.key] = [str(o) for o in stored if isinstance(o, URIRef)]
        elif field.kind == CHECKBOX:
            if stored:
                values[f"{field.key}-present"] = ["1"]
            if any(isinstance(o, Literal) and o.value is True for o in stored):
                values[field.key] = ["true"]
        elif field.repeating:
            for row, value in enumerate(stored):
                values[f"{field.key}-{row}"] = [str(value)]
        elif stored:
            values[field.key] = [str(stored[0])]
    return values


# -- form values -> graph ------------------------------------------------------------------------


@dataclasses.dataclass
class Built:
    """The graph a form stands for, and where each nested node came from (to place errors)."""

    graph: Graph
    node: URIRef
    rows: dict[str, tuple[str, int]]  # str(nested node) -> (field key, row index)


def graph_from_values(
    model: FormModel, values: FormValues, stored: Graph, document_iri: str
) -> Built:
    """The document after the form is saved: `stored` with the form's fields replaced.

    Triples the form does not show (other predicates, extra data on nested nodes, types) are
    kept as they are. Empty rows are ignored; a nested row left empty or ticked "remove" drops
    its node.
    """
    graph = rdf.new_graph()
    for triple in stored:
        graph.add(triple)
    node = main_node(model, stored, document_iri)
    graph.add((node, RDF.type, model.target_class))
    built = Built(graph, node, {})
    for field in model.fields:
        graph.remove((node, field.predicate, None))
        if field.kind == GROUP:
            _put_rows(built, field, values, _stored_rows(stored, node, field), document_iri)
            continue
        for term in _terms(field, values):
            graph.add((node, field.predicate, term))
    return built


def _terms(field: Field, values: FormValues) -> list[Literal | URIRef]:
    if field.kind == CHOICE:
        allowed = {c.value for c in field.choices}
        chosen: list[Literal | URIRef] = [
            URIRef(v) for v in values.get(field.key, ()) if v in allowed
        ]
        return chosen if field.repeating else chosen[:1]
    if field.kind == CHECKBOX:
        if "true" in values.get(field.key, ()):
            return [Literal(True)]
        return [Literal(False)] if values.get(f"{field.key}-present") else []
    texts = [first_value(values, name) for name in input_names(field, values)]
    return [_literal(field, text) for text in texts if text]


def _put_rows(built: Built, field: Field, values: FormValues, stored: list, document_iri: str):
    graph, kept = built.graph, set()
    for row in row_indices(field, values):
        prefix = f"{field.key}-{row}-"
        texts = {sub.key: first_value(values, prefix + sub.key) for sub in field.subfields}
        if values.get(prefix + "remove") or not any(texts.values()):
            continue
        ref = first_value(values, prefix + "ref")
        nested = stored[int(ref)] if ref.isdigit() and int(ref) < len(stored) else None
        if nested is None or nested in kept:
            nested = _new_node(graph, document_iri, field.key)
            if field.node_type is not None:
                graph.add((nested, RDF.type, field.node_type))
        kept.add(nested)
        for sub in field.subfields:
            graph.remove((nested, sub.predicate, None))
            if texts[sub.key]:
                graph.add((nested, sub.predicate, _literal(sub, texts[sub.key])))
        graph.add((built.node, field.predicate, nested))
        built.rows[str(nested)] = (field.key, row)
    for old in stored:
        local = isinstance(old, BNode) or str(old).startswith(document_iri + "#")
        if old not in kept and local and (None, None, old) not in graph:
            graph.remove((old, None, None))


def _new_node(graph: Graph, document_iri: str, key: str) -> URIRef:
    number = 1
    while True:
        candidate = URIRef(f"{document_iri}#{key}-{number}")
        if (candidate, None, None) not in graph and (None, None, candidate) not in graph:
            return candidate
        number += 1


def _literal(field: Field, text: str) -> Literal:
    if field.kind == DATE:
        return Literal(text, datatype=XSD.date)
    if field.kind == NUMBER:
        return Literal(text, datatype=XSD.decimal)
    return Literal(text)  # a plain literal is an xsd:string


def first_value(values: FormValues, name: str) -> str:
    return next(iter(values.get(name, ())), "").strip()


def _indices(values: FormValues, pattern: re.Pattern) -> list[int]:
    return sorted({int(m.group(1)) for name in values if (m := pattern.fullmatch(name))})


def input_names(field: Field, values: FormValues) -> list[str]:
    """The posted inputs of a single or repeating plain field, in row order."""
    if not field.repeating:
        return [field.key]
    pattern = re.compile(rf"{re.escape(field.key)}-(\d{{1,4}})")
    return [f"{field.key}-{i}" for i in _indices(values, pattern)]


def row_indices(field: Field, values: FormValues) -> list[int]:
    """The rows of a nested field present in the values, in order."""
    return _indices(values, re.compile(rf"{re.escape(field.key)}-(\d{{1,4}})-[A-Za-z0-9]+"))
