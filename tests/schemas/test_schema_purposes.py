"""The purposes a vendor may name: DPV terms, explained to the customer."""

import pytest
from rdflib import RDF, RDFS, BNode
from rdflib.namespace import SKOS

from pds.schemas import purposes_graph
from tests.schemas.shape_checks import DPV, assert_reads_like_a_person_wrote_it

pytestmark = pytest.mark.usefixtures("no_network")  # nothing may be fetched

# The purposes


def test_purposes_are_dpv_terms_explained_to_the_customer():
    graph = purposes_graph()
    purposes = set(graph.subjects(RDF.type, DPV.Purpose))

    assert len(purposes) >= 12
    assert {DPV.ServiceProvision, DPV.DirectMarketing, DPV.PersonalisedAdvertising} <= purposes
    for purpose in purposes:
        assert purpose.startswith(str(DPV))
        assert graph.value(purpose, RDFS.label).language == "en"
        comment = graph.value(purpose, RDFS.comment)
        assert_reads_like_a_person_wrote_it(comment)
        assert comment.count(". ") == 0, "one sentence"


def test_purpose_hierarchy_stays_within_the_list():
    graph = purposes_graph()
    purposes = set(graph.subjects(RDF.type, DPV.Purpose))

    for narrower, broader in graph.subject_objects(SKOS.broader):
        assert narrower in purposes and broader in purposes
    assert (DPV.DirectMarketing, SKOS.broader, DPV.Marketing) in graph
    assert not any(isinstance(s, BNode) for s in graph.subjects())
