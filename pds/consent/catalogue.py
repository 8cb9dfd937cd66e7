"""The catalogue in discovery (§2.4): what a vendor may ask for, each field described from the
SHACL shapes well enough to read the data without them: its value type, whether it repeats,
the values it may take, and the fields of nested values (an address, a size, a budget)."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDFS, SH
from rdflib.term import Node

from pds import schemas
from pds.consent.scopes import APPEND, READ, TYPED_RESOURCES

VENDOR_CONTAINER = "/vendors/{vendor_id}/"


def catalogue(vendor_id: str | None = None) -> list[dict[str, Any]]:
    """What vendors may ask for; `vendor_id` names that vendor's own container."""
    entries = copy.deepcopy(_typed_entries())
    entries.append(
        {
            "resource": VENDOR_CONTAINER.format(vendor_id=vendor_id)
            if vendor_id
            else VENDOR_CONTAINER,
            "modes": [READ, APPEND],
            "description": "records a vendor writes into the pod (receipts, warranties)",
        }
    )
    return entries


@cache
def _typed_entries() -> list[dict[str, Any]]:
    shapes = schemas.shapes_graph()
    entries = []
    for resource in TYPED_RESOURCES:
        shape = schemas.shape_for_path(resource)
        assert shape is not None, f"{resource} has no shape"
        entries.append(
            {
                "resource": resource,
                "modes": [READ],
                "shape": str(shape),
                "fields": _fields(shapes, shape),
            }
        )
    return entries


def _fields(shapes: Graph, shape: Node) -> list[dict[str, Any]]:
    ordered = []
    for prop in shapes.objects(shape, SH.property):
        path = shapes.value(prop, SH.path)
        if isinstance(path, URIRef):
            order = shapes.value(prop, SH.order)
            rank = float(order) if isinstance(order, Literal) else 1e9
            ordered.append((rank, _field(shapes, prop, path)))
    ordered.sort(key=lambda pair: pair[0])
    return [field for _rank, field in ordered]


def _field(shapes: Graph, prop: Node, path: URIRef) -> dict[str, Any]:
    def value(predicate: URIRef) -> Node | None:
        return shapes.value(prop, predicate)

    field: dict[str, Any] = {
        "iri": str(path),
        "name": str(value(SH.name) or path),
        "description": str(value(SH.description) or ""),
    }
    max_count, min_count = value(SH.maxCount), value(SH.minCount)
    field["repeats"] = not (isinstance(max_count, Literal) and int(max_count) == 1)
    if isinstance(min_count, Literal) and int(min_count) > 0:
        field["required"] = True
    if (datatype := value(SH.datatype)) is not None:
        field["datatype"] = str(datatype)
    if isinstance(max_length := value(SH.maxLength), Literal):
        field["max_length"] = int(max_length)
    if (choices := value(SH["in"])) is not None:
        field["values"] = [
            {"iri": str(v), "name": str(shapes.value(v, RDFS.label) or v)}
            for v in Collection(shapes, choices)
        ]
    if (node := value(SH.node)) is not None:
        field["fields"] = _fields(shapes, node)
    return field
