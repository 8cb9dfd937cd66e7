"""SHACL validation of typed documents (the profile, preferences...) with readable results."""

from __future__ import annotations

import threading
from typing import Any

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import SH

from pds import schemas
from pds.resources import rdf
from pds.resources.errors import ShapeViolation

_LOCK = threading.Lock()  # pyshacl shares rdflib state; one validation at a time per process


def validate(graph: Graph, path: str) -> None:
    """Raise unless `graph` may be stored at `path`: no U+0000 anywhere (RDFSyntaxError), and
    conformance to the shape registered for the path (ShapeViolation).

    Every document is checked here before it is stored (a PUT, a PATCH, a form, an append, an
    import), so this is where U+0000 is refused: PostgreSQL cannot store it.
    """
    rdf.refuse_nul(graph)
    shape = schemas.shape_for_path(path)
    if shape is None:
        return
    shapes = schemas.shapes_graph()
    target = shapes.value(shape, SH.targetClass)
    if isinstance(target, URIRef) and (None, RDF.type, target) not in graph:
        label = shapes.value(shape, SH.name) or shapes.qname(target)
        raise ShapeViolation(
            [
                {
                    "message": f"this document must describe a {label} (a node of type <{target}>)",
                    "focus": None,
                    "path": str(RDF.type),
                    "field": "type",
                    "value": None,
                }
            ]
        )
    import pyshacl  # here, not at the top: workers that only serve reads never load it (~10 MB)

    with _LOCK:
        conforms, report, _ = pyshacl.validate(
            graph, shacl_graph=shapes, inference="none", allow_warnings=True
        )
    if not conforms:
        raise ShapeViolation(_violations(report, shapes))


def _violations(report: Graph, shapes: Graph) -> list[dict[str, Any]]:
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) != SH.Violation:
            continue
        source = report.value(result, SH.sourceShape)
        path = report.value(result, SH.resultPath)
        name = shapes.value(source, SH.name) if source is not None else None
        message = report.value(result, SH.resultMessage)
        value = report.value(result, SH.value)
        field = str(name) if name else (shapes.qname(path) if isinstance(path, URIRef) else None)
        text = str(message) if message else "is not valid"
        out.append(
            {
                "message": f"{field}: {text}" if field else text,
                "field": field,
                "path": str(path) if isinstance(path, URIRef) else None,
                "focus": str(report.value(result, SH.focusNode)),
                "value": str(value) if isinstance(value, Literal | URIRef) else None,
            }
        )
    return sorted(out, key=lambda v: (v["field"] or "", v["message"]))
