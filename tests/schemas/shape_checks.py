"""Parsing documents and validating them against the shapes, for the schema tests."""

from typing import NamedTuple

from pyshacl import validate
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.namespace import SH

from pds.schemas import shapes_graph

SCHEMA = Namespace("https://schema.org/")
DPV = Namespace("https://w3id.org/dpv#")
POD = "http://127.0.0.1:8000/data"

PREFIXES = """
@prefix pds: <https://w3id.org/vrm-pod/ns#> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


class Problem(NamedTuple):
    path: URIRef | None
    message: str


def parse_document(turtle: str, path: str) -> Graph:
    return Graph().parse(data=turtle, format="turtle", publicID=POD + path)


def problems(data: Graph) -> list[Problem]:
    """Every violation, including those nested under sh:detail, as (path, message)."""
    conforms, report, _ = validate(data, shacl_graph=shapes_graph(), inference="none")
    found = [
        Problem(report.value(result, SH.resultPath), str(report.value(result, SH.resultMessage)))
        for result in report.subjects(RDF.type, SH.ValidationResult)
    ]
    assert conforms == (not found)
    return found


def assert_reads_like_a_person_wrote_it(message: str) -> None:
    assert message and message[0].isupper() and message.endswith(".")
    for jargon in ("http", "xsd:", "sh:", "Literal(", "datatype", "Constraint", "Value"):
        assert jargon not in message
