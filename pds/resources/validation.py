"""SHACL validation of typed documents (the profile, preferences...) with readable results."""

from __future__ import annotations

import re
import threading
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH, XSD

from pds import schemas
from pds.resources.compaction import context_prefixes
from pds.resources.errors import IllTypedLiteral, RDFSyntaxError, ShapeViolation

_LOCK = threading.Lock()  # pyshacl shares rdflib state; one validation at a time per process


def validate(graph: Graph, path: str) -> None:
    """Raise unless `graph` may be stored at `path`: every term can be written and read back
    the same in each format (RDFSyntaxError), the document conforms to the shape registered
    for the path (ShapeViolation), and every literal is well-typed (IllTypedLiteral).

    Every document is checked here before it is stored (a PUT, a PATCH, a form, an append, an
    import), so this is where U+0000 is refused: PostgreSQL cannot store it.
    """
    _refuse_unwritable_terms(graph)
    _conform(graph, path)
    _refuse_ill_typed_literals(graph)


# Not in any RDF syntax: U+0000 (PostgreSQL cannot store it) and unpaired surrogates (not
# Unicode characters, so not UTF-8). Not in an IRI (Turtle IRIREF): spaces, controls, <>"{}|^`\.
_NUL = re.compile("\x00")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(?!//)")


def _refuse_unwritable_terms(graph: Graph) -> None:
    prefixes = context_prefixes()
    for triple in graph:
        for term in triple:
            if isinstance(term, BNode):
                continue
            text = str(term)
            if _NUL.search(text):
                raise RDFSyntaxError(
                    "the data holds a NUL character (U+0000), which is not allowed"
                )
            if _SURROGATE.search(text):
                raise RDFSyntaxError("the data holds an unpaired surrogate, which is not Unicode")
            if isinstance(term, URIRef):
                if _NOT_IN_IRI.search(text):
                    raise RDFSyntaxError(
                        f"{text!r} is not an IRI: an IRI holds no spaces, control characters "
                        'or any of <>"{}|^`\\'
                    )
                scheme = _SCHEME.match(text)
                if scheme and scheme.group(1) in prefixes:
                    raise RDFSyntaxError(
                        f"the IRI <{text}> begins like the compact IRI prefix "
                        f"{scheme.group(1)!r} of the pod's JSON-LD context, so JSON-LD could "
                        "not tell them apart; write the IRI it stands for in full"
                    )


def _refuse_ill_typed_literals(graph: Graph) -> None:
    """`"abc"^^xsd:integer` and the like, for the XSD datatypes rdflib knows, are refused."""
    violations = [
        {
            "message": f"{str(o)!r} is not a valid {_datatype_name(o.datatype)}",
            "field": None,
            "path": str(p),
            "focus": str(s) if isinstance(s, URIRef) else None,
            "value": str(o),
        }
        for s, p, o in graph
        if isinstance(o, Literal) and _ill_typed(o)
    ]
    if violations:
        raise IllTypedLiteral(
            sorted(violations, key=lambda v: (v["focus"] or "", v["path"], v["value"]))
        )


def _ill_typed(literal: Literal) -> bool:
    if literal.datatype is None:
        return False
    if literal.ill_typed is None:  # made from another literal (SPARQL): never checked
        literal = Literal(str(literal), datatype=literal.datatype, normalize=False)
    return literal.ill_typed is True


def _datatype_name(datatype: URIRef | None) -> str:
    if datatype is not None and datatype.startswith(str(XSD)):
        return "xsd:" + datatype[len(str(XSD)) :]
    return f"<{datatype}>"


def _conform(graph: Graph, path: str) -> None:
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
    conform_to(graph, shapes)


def conform_to(graph: Graph, shapes: Graph) -> None:
    """Raise ShapeViolation, its violations in words, unless `graph` conforms to `shapes`."""
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
