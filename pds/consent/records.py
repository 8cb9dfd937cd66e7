"""Records vendors add to the pod: checked against the record shapes, and named in plain words.

The pod knows three kinds of record (pds/schemas/shapes/records.ttl): receipts (`schema:Order`),
warranties (`schema:WarrantyPromise`) and service visits (`pds:ServiceRecord`). A record that
holds a node of one of these kinds must fit that kind's shape, or it is refused and nothing is
stored; anything else a record says is kept as it is. The same shapes give the customer's page
the names of the kinds and of their fields.
"""

from __future__ import annotations

import dataclasses
from functools import cache

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from pds import schemas
from pds.consent.errors import TooLarge
from pds.resources.validation import conform_to


@dataclasses.dataclass(frozen=True)
class RecordKind:
    """A kind of record the pod knows, as the customer reads it."""

    type: str  # the class IRI, such as https://schema.org/Order
    name: str  # "Receipt"
    description: str
    fields: dict[str, str]  # field IRI -> its name on the page ("Order number"), in shape order


MAX_RECORD_TRIPLES = 2000  # a receipt or a service history says far less


def check_record(graph: Graph) -> None:
    """Raise ShapeViolation (in words, per field) unless every receipt, warranty and service
    visit in `graph` fits its shape. Nodes of other kinds are not checked: a record of no
    known kind is accepted as it is.

    Validation holds a lock of the whole process (pyshacl is not thread-safe), so a record is
    bounded in statements, and one with no node of a known kind is not validated at all.
    """
    if len(graph) > MAX_RECORD_TRIPLES:
        raise TooLarge(f"a record says at most {MAX_RECORD_TRIPLES} things (RDF statements)")
    kinds = {URIRef(kind) for kind in record_kinds()}
    known = any(kind in kinds for kind in graph.objects(None, RDF.type))
    if not known and (None, RDFS.subClassOf, None) not in graph:  # a subclass could be one
        return
    conform_to(graph, schemas.record_shapes_graph())


def record_kinds() -> dict[str, RecordKind]:
    """The kinds of record the pod knows, by class IRI."""
    return dict(_record_kinds())


@cache
def _record_kinds() -> tuple[tuple[str, RecordKind], ...]:
    shapes = schemas.record_shapes_graph()
    kinds = []
    for shape, target in shapes.subject_objects(SH.targetClass):
        if not isinstance(target, URIRef):
            continue
        ordered: list[tuple[float, str, str]] = []
        for prop in shapes.objects(shape, SH.property):
            path, name, order = (shapes.value(prop, p) for p in (SH.path, SH.name, SH.order))
            if isinstance(path, URIRef) and name is not None:
                rank = float(order) if isinstance(order, Literal) else 1e9
                ordered.append((rank, str(path), str(name)))
        fields: dict[str, str] = {}
        for _rank, iri, field_name in sorted(ordered):
            fields.setdefault(iri, field_name)
        kind = RecordKind(
            type=str(target),
            name=str(shapes.value(shape, RDFS.label) or target),
            description=str(shapes.value(shape, RDFS.comment) or ""),
            fields=fields,
        )
        kinds.append((kind.type, kind))
    return tuple(sorted(kinds, key=lambda pair: pair[0]))
