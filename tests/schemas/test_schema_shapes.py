"""The shapes themselves: as form descriptions, the vocabulary they use, and the path table."""

import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from pds.schemas import VOCAB, sample_documents, shape_for_path, shapes_graph
from tests.schemas.shape_checks import assert_reads_like_a_person_wrote_it, parse_document, problems

pytestmark = pytest.mark.usefixtures("no_network")  # nothing may be fetched


def _shape_key(graph: Graph, shape) -> str:
    # Property shapes are blank nodes: name them by their path and label, stable across runs
    # (pytest-xdist workers must collect identical test ids).
    return f"{graph.value(shape, SH.path)}|{graph.value(shape, SH.name)}"


def property_shapes(graph: Graph):
    return sorted(graph.subjects(SH.path, None), key=lambda s: _shape_key(graph, s))


# The shapes as form descriptions


@pytest.mark.parametrize(
    "shape", property_shapes(shapes_graph()), ids=lambda s: _shape_key(shapes_graph(), s)
)
def test_every_property_shape_describes_its_field_for_a_form(shape):
    graph = shapes_graph()

    name = graph.value(shape, SH.name)
    assert isinstance(name, Literal) and name.language == "en"
    assert name[0].isupper() and "http" not in name
    for term in (SH.description, SH.message):
        text = graph.value(shape, term)
        assert isinstance(text, Literal) and text.language == "en", term
        assert_reads_like_a_person_wrote_it(text)
    assert isinstance(graph.value(shape, SH.order).toPython(), int)


def test_field_order_is_unique_within_each_shape():
    graph = shapes_graph()
    for node_shape in set(graph.subjects(SH.property, None)):
        fields = graph.objects(node_shape, SH.property)
        orders = [graph.value(field, SH.order).toPython() for field in fields]
        assert len(orders) == len(set(orders)), node_shape


def test_channel_choices_are_the_five_channels_of_the_vocabulary():
    graph = shapes_graph()
    shape = next(graph.subjects(SH.path, VOCAB.acceptsChannel))
    choices = set(Collection(graph, graph.value(shape, SH["in"])))

    names = ("ChannelEmail", "ChannelPhone", "ChannelSMS", "ChannelPost", "ChannelInbox")
    assert choices == {VOCAB[name] for name in names}
    assert choices == set(graph.subjects(RDF.type, VOCAB.ContactChannel))


def test_every_vocabulary_term_has_a_label_and_comment_in_english():
    graph = shapes_graph()
    terms = {s for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(str(VOCAB))}
    defined = {t for t in terms if (t, RDFS.isDefinedBy, None) in graph}

    assert VOCAB.acceptsChannel in defined and VOCAB.BudgetRange in defined
    for term in defined:
        assert graph.value(term, RDFS.label).language == "en", term
        assert_reads_like_a_person_wrote_it(graph.value(term, RDFS.comment))


def test_every_pod_term_the_shapes_use_is_defined_in_the_vocabulary():
    graph = shapes_graph()
    used = set(graph.objects(None, SH.path)) | set(graph.objects(None, SH.targetClass))

    for term in used:
        if term.startswith(str(VOCAB)):
            assert (term, RDFS.label, None) in graph, term


# The path table


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/profile", VOCAB.ProfileShape),
        ("/preferences", VOCAB.PreferencesShape),
        ("/preferences/", VOCAB.PreferencesShape),
        ("/preferences/food", VOCAB.PreferencesShape),
        ("/preferences/food/italian", VOCAB.PreferencesShape),
        ("/profile/", None),
        ("/profile/extra", None),
        ("/profiles", None),
        ("/preferencesx", None),
        ("/Profile", None),
        ("/", None),
        ("", None),
        ("/vendors/abc/receipt-17", None),
        ("/intents/2026-car", VOCAB.IntentShape),
        ("/intents", None),
    ],
)
def test_shape_for_path(path, shape):
    assert shape_for_path(path) == shape


def test_every_shape_in_the_path_table_exists():
    for path in ("/profile", "/preferences/food"):
        assert (shape_for_path(path), RDF.type, SH.NodeShape) in shapes_graph()


def test_shapes_graph_is_parsed_once_and_validation_leaves_it_unchanged():
    before = len(shapes_graph())

    problems(parse_document(sample_documents()["/preferences"], "/preferences"))

    assert shapes_graph() is shapes_graph()
    assert len(shapes_graph()) == before
