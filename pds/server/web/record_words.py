"""Records vendors saved, in words: what each thing in a record is, its fields by the names the
record shapes give them, dates as people write them, prices with their currency.

Receipts, warranties and service visits are named from `pds.consent.records`; anything else a
vendor wrote is described from the labels of the pod's vocabulary, or its terms' last words.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from functools import cache

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from pds import schemas
from pds.consent.records import RecordKind, record_kinds
from pds.consent.scopes import container_vendor
from pds.server.web.words import format_time, resource_words

SCHEMA = "https://schema.org/"
PRICE, CURRENCY = URIRef(SCHEMA + "price"), URIRef(SCHEMA + "priceCurrency")
MILEAGE = schemas.VOCAB.mileage
HEADLINE_LENGTH = 60  # of each value said in the list of a vendor's records


@dataclasses.dataclass(frozen=True)
class Thing:
    """One node of a record, in words: what it is and what the record says about it."""

    anchor: str
    title: str
    facts: list[tuple[str, list[tuple[str, str]]]]  # label -> [(text, link to another thing)]


def things(graph: Graph, document_iri: str) -> list[Thing]:
    """Every node the record says something about, the record's own first."""
    subjects = _subjects(graph, document_iri)
    anchors = {s: f"thing-{i + 1}" for i, s in enumerate(subjects)}
    titles = {s: _title(graph, s, document_iri, i) for i, s in enumerate(subjects)}
    out = []
    for subject in subjects:
        kind = kind_of(graph, subject)
        facts: dict[str, list[tuple[str, str]]] = {}
        for predicate, value in _facts_in_order(graph, subject, kind):
            if value in anchors:
                shown = (titles[value], "#" + anchors[value])
            else:
                shown = (_value_words(graph, subject, predicate, value), "")
            facts.setdefault(_field_name(predicate, kind), []).append(shown)
        out.append(Thing(anchors[subject], titles[subject], list(facts.items())))
    return out


def headline(graph: Graph, document_iri: str, fallback: str) -> str:
    """A line for the list of records, such as "Receipt SO-1042, 23 Nov 2026" or "Service
    visit on 12 Mar 2026: Brake pads replaced"; `fallback` (the record's name in the pod) for a
    record of no known kind."""
    for subject in _subjects(graph, document_iri):
        kind = kind_of(graph, subject)
        if kind is not None:
            return _headline(graph, subject, kind)
    return fallback


def _headline(graph: Graph, subject: Node, kind: RecordKind) -> str:
    def said(*fields: str) -> str:
        """The first of these fields the record gives, in words and short; else ""."""
        for field in fields:
            value = graph.value(subject, URIRef(SCHEMA + field))
            if value is not None:
                return _shorten(_value_words(graph, subject, URIRef(SCHEMA + field), value))
        return ""

    def joined(*parts: tuple[str, str]) -> str:
        return kind.name + "".join(f"{before}{text}" for before, text in parts if text)

    if kind.type == SCHEMA + "Order":
        return joined((" ", said("orderNumber")), (", ", said("orderDate")))
    if kind.type == SCHEMA + "WarrantyPromise":
        return joined((": ", said("name", "description")), (", until ", said("validThrough")))
    if kind.type == str(schemas.VOCAB.ServiceRecord):
        return joined((" on ", said("startDate")), (": ", said("description", "name")))
    return kind.name


def shared_words(resource: str, names: dict[str, str], title: str | None = None) -> str:
    """What a share lets a vendor read, said with the name of the vendor that wrote it, and
    the record's `title` (its headline) when known."""
    writer = container_vendor(resource)
    if writer is None:
        return resource_words(resource)
    name = names.get(writer, "another vendor")
    inside = resource[len(f"/vendors/{writer}/") :]
    if not inside:
        return f"every record {name} saved in your pod"
    if title is not None:
        return f"“{title}”, a record {name} saved in your pod"
    kind = "folder" if inside.endswith("/") else "record"
    return f"the {kind} {inside} that {name} saved in your pod"


def kind_of(graph: Graph, subject: Node) -> RecordKind | None:
    """The kind of record the pod knows that `subject` is (a receipt...), if any."""
    kinds = record_kinds()
    return next((kinds[str(t)] for t in graph.objects(subject, RDF.type) if str(t) in kinds), None)


def label_of(term: URIRef) -> str:
    """A name for a term people can read: its label, else its last word split into words."""
    if term in _labels():
        return _labels()[term]
    local = re.split(r"[#/]", str(term).rstrip("#/"))[-1] or str(term)
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|[_-]+", " ", local).strip()
    return words[:1].upper() + words[1:].lower() if words else str(term)


def _subjects(graph: Graph, document_iri: str) -> list[Node]:
    return sorted(
        set(graph.subjects()),
        key=lambda s: (isinstance(s, BNode), not str(s).startswith(document_iri), str(s)),
    )


def _title(graph: Graph, subject: Node, document_iri: str, index: int) -> str:
    known = record_kinds()
    kinds = sorted(
        known[str(t)].name if str(t) in known else label_of(t)
        for t in graph.objects(subject, RDF.type)
        if isinstance(t, URIRef)
    )
    if kinds:
        return " and ".join(kinds)
    return (
        "This record"
        if str(subject) in (document_iri, document_iri + "#it")
        else f"Item {index + 1}"
    )


def _facts_in_order(
    graph: Graph, subject: Node, kind: RecordKind | None
) -> list[tuple[URIRef, Node]]:
    """What the record says of `subject`: a known kind's fields in their order, then the rest
    by name. A price's currency is said with the price, not on its own."""
    order = {iri: i for i, iri in enumerate(kind.fields)} if kind else {}
    said = [
        (p, o)
        for p, o in graph.predicate_objects(subject)
        if isinstance(p, URIRef) and p != RDF.type
    ]
    if (subject, PRICE, None) in graph:
        said = [(p, o) for p, o in said if p != CURRENCY]
    return sorted(
        said,
        key=lambda po: (order.get(str(po[0]), len(order)), label_of(po[0]), str(po[1])),
    )


def _field_name(predicate: URIRef, kind: RecordKind | None) -> str:
    if kind is not None and str(predicate) in kind.fields:
        return kind.fields[str(predicate)]
    return label_of(predicate)


def _value_words(graph: Graph, subject: Node, predicate: URIRef, value: Node) -> str:
    if isinstance(value, URIRef):
        return label_of(value) if value in _labels() else str(value)
    if not isinstance(value, Literal):
        return str(value)
    python = value.toPython()
    if isinstance(python, bool):
        return "yes" if python else "no"
    if isinstance(python, dt.datetime):
        return format_time(python) if python.tzinfo else f"{python:%-d %b %Y, %H:%M}"
    if isinstance(python, dt.date):
        return f"{python:%-d %b %Y}"
    if predicate == PRICE:
        currency = graph.value(subject, CURRENCY)
        return f"{value} {currency}" if currency is not None else str(value)
    if predicate == MILEAGE and isinstance(python, int):
        return f"{python:,} km"
    return str(value)


def _shorten(text: str) -> str:
    return text if len(text) <= HEADLINE_LENGTH else text[: HEADLINE_LENGTH - 1] + "…"


@cache
def _labels() -> dict[URIRef, str]:
    """Customer-facing names of the pod's own terms and of purposes.

    The forms' names are not used: they fit the profile ("Full name" for schema:name), not a
    vendor's receipt.
    """
    labels: dict[URIRef, str] = {}
    for graph in (schemas.purposes_graph(), schemas.shapes_graph()):
        for term, label in graph.subject_objects(RDFS.label):
            if isinstance(term, URIRef) and getattr(label, "language", None) in ("en", None):
                labels[term] = str(label)
    return labels
