import json
import socket
from typing import NamedTuple

import pytest
from pyshacl import validate
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import SH, SKOS

from pds.schemas import (
    CONTEXT_IRI,
    VOCAB,
    jsonld_context,
    purposes_graph,
    sample_documents,
    shape_for_path,
    shapes_graph,
)

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


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every test here must pass with the network unreachable: nothing may be fetched."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


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


def _shape_key(graph: Graph, shape) -> str:
    # Property shapes are blank nodes: name them by their path and label, stable across runs
    # (pytest-xdist workers must collect identical test ids).
    return f"{graph.value(shape, SH.path)}|{graph.value(shape, SH.name)}"


def property_shapes(graph: Graph):
    return sorted(graph.subjects(SH.path, None), key=lambda s: _shape_key(graph, s))


# The samples


@pytest.mark.parametrize("path", ["/profile", "/preferences"])
def test_sample_document_conforms_to_the_shapes(path):
    data = parse_document(sample_documents()[path], path)

    assert problems(data) == []


@pytest.mark.parametrize("path", ["/profile", "/preferences"])
def test_sample_document_is_checked_by_the_shape_for_its_path(path):
    data = parse_document(sample_documents()[path], path)
    target = shapes_graph().value(shape_for_path(path), SH.targetClass)

    assert target is not None
    assert list(data.subjects(RDF.type, target)), "the sample would conform without being checked"


def test_sample_profile_describes_alex_with_relative_iris():
    data = parse_document(sample_documents()["/profile"], "/profile")
    me = URIRef(POD + "/profile#me")

    assert data.value(me, SCHEMA.name) == Literal("Alex Example")
    assert len(set(data.objects(me, SCHEMA.email))) == 2
    assert len(set(data.objects(me, SCHEMA.knowsLanguage))) == 2
    assert data.value(me, SCHEMA.address) == URIRef(POD + "/profile#home")


def test_sample_preferences_have_two_budgets():
    data = parse_document(sample_documents()["/preferences"], "/preferences")
    prefs = URIRef(POD + "/preferences#prefs")

    assert len(set(data.objects(prefs, VOCAB.budget))) == 2
    assert data.value(prefs, VOCAB.doNotContact) == Literal(False)


# Refused documents, and what the customer is told


BAD_DOCUMENTS = [
    pytest.param(
        '<#me> a schema:Person ; schema:name "Alex" ; schema:email "alex.example.org" .',
        SCHEMA.email,
        "Enter an email address like name@example.org.",
        id="email-without-at",
    ),
    pytest.param(
        '<#me> a schema:Person ; schema:name "Alex" , "Alexandra" .',
        SCHEMA.name,
        "Give your full name exactly once, as text of at most 200 characters.",
        id="two-names",
    ),
    pytest.param(
        '<#me> a schema:Person ; schema:givenName "Alex" .',
        SCHEMA.name,
        "Give your full name exactly once, as text of at most 200 characters.",
        id="no-name",
    ),
    pytest.param(
        '<#me> a schema:Person ; schema:name "Alex" ; schema:birthDate "1990-13-45"^^xsd:date .',
        SCHEMA.birthDate,
        "Enter one real date of birth as year-month-day, like 1990-04-23.",
        id="impossible-birth-date",
    ),
    pytest.param(
        '<#me> a schema:Person ; schema:name "Alex" ; schema:birthDate "1990-04-23" .',
        SCHEMA.birthDate,
        "Enter one real date of birth as year-month-day, like 1990-04-23.",
        id="birth-date-as-plain-text",
    ),
    pytest.param(
        '<#me> a schema:Person ; schema:name "Alex" ; schema:telephone "call me maybe" .',
        SCHEMA.telephone,
        "Enter a phone number of 5 to 30 characters using only digits, spaces, dashes,"
        " brackets and a leading +.",
        id="phone-with-letters",
    ),
    pytest.param(
        '<#me> a schema:Person ; schema:name "Alex" ; schema:knowsLanguage "English" .',
        SCHEMA.knowsLanguage,
        "Enter a language code like en, fr or fr-CA.",
        id="language-name-instead-of-code",
    ),
    pytest.param(
        '<#me> a schema:Person ; schema:name "Alex" ; schema:address <#home> .'
        ' <#home> schema:addressCountry "France" .',
        SCHEMA.addressCountry,
        "Give the country once, as a two-letter capital code like GB, FR or US.",
        id="country-name-instead-of-code",
    ),
    pytest.param(
        "<#prefs> a pds:Preferences ; pds:acceptsChannel pds:ChannelCarrierPigeon .",
        VOCAB.acceptsChannel,
        "Choose channels from this list only: email, phone call, text message (SMS), post,"
        " pod inbox.",
        id="unknown-channel",
    ),
    pytest.param(
        '<#prefs> a pds:Preferences ; pds:doNotContact "maybe" .',
        VOCAB.doNotContact,
        'Answer "do not contact me" once, with yes (true) or no (false).',
        id="do-not-contact-not-a-boolean",
    ),
    pytest.param(
        "<#prefs> a pds:Preferences ; pds:budget <#b> ."
        ' <#b> pds:category "bicycle" ; schema:minPrice 900.00 ; schema:maxPrice 400.00 ;'
        ' schema:priceCurrency "GBP" .',
        SCHEMA.minPrice,
        "Give one lowest price of 0 or more, no higher than the highest price, like 20.00.",
        id="min-price-above-max-price",
    ),
    pytest.param(
        "<#prefs> a pds:Preferences ; pds:budget <#b> ."
        ' <#b> pds:category "bicycle" ; schema:maxPrice -5.00 ; schema:priceCurrency "GBP" .',
        SCHEMA.maxPrice,
        "Give one highest price of 0 or more, like 150.00.",
        id="negative-price",
    ),
    pytest.param(
        "<#prefs> a pds:Preferences ; pds:budget <#b> ."
        ' <#b> pds:category "bicycle" ; schema:maxPrice 400.00 ; schema:priceCurrency "pounds" .',
        SCHEMA.priceCurrency,
        "Give the currency once, as a three-letter capital code like EUR, GBP or USD.",
        id="currency-not-iso-4217",
    ),
    pytest.param(
        '<#prefs> a pds:Preferences ; pds:size <#s> . <#s> pds:garment "shoes" .',
        VOCAB.sizeValue,
        "Give the size once, such as M or 42, in at most 30 characters.",
        id="size-without-value",
    ),
]


@pytest.mark.parametrize(("document", "field", "message"), BAD_DOCUMENTS)
def test_bad_document_is_refused_with_a_message_for_the_field(document, field, message):
    found = problems(parse_document(PREFIXES + document, "/doc"))

    assert Problem(field, message) in found


@pytest.mark.parametrize(("document", "field", "message"), BAD_DOCUMENTS)
def test_every_refusal_message_is_plain_english(document, field, message):
    for problem in problems(parse_document(PREFIXES + document, "/doc")):
        assert_reads_like_a_person_wrote_it(problem.message)


def test_budget_problem_is_also_reported_on_the_budget_field():
    document = (
        "<#prefs> a pds:Preferences ; pds:budget <#b> ."
        ' <#b> pds:category "bicycle" ; schema:minPrice 900.00 ; schema:maxPrice 400.00 ;'
        ' schema:priceCurrency "GBP" .'
    )

    found = problems(parse_document(PREFIXES + document, "/preferences"))

    assert (
        Problem(VOCAB.budget, "One of your budgets has a mistake; check its prices and currency.")
        in found
    )


def test_extra_data_is_allowed():
    document = (
        '<#me> a schema:Person , <http://xmlns.com/foaf/0.1/Person> ; schema:name "Alex" ;'
        ' <http://xmlns.com/foaf/0.1/nick> "Lex" .'
    )

    assert problems(parse_document(PREFIXES + document, "/profile")) == []


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
        ("/intents/2026-car", None),
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


# The JSON-LD context


def walk(value):
    yield value
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def test_context_refers_to_nothing_remote():
    document = jsonld_context()
    context = document["@context"]

    assert set(document) == {"@context"}
    assert isinstance(context, dict)
    items = list(walk(context))
    assert "@import" not in items
    assert "@context" not in items
    prefixes = tuple(v for v in context.values() if isinstance(v, str) and v.startswith("http"))
    for item in items:
        if isinstance(item, str) and "://" in item:
            assert item in prefixes, f"{item} is an absolute IRI outside the declared prefixes"


def test_context_is_a_fresh_copy_each_time():
    jsonld_context()["@context"]["name"] = "http://evil.example/name"

    assert jsonld_context()["@context"]["name"] == "schema:name"


def test_context_iri_is_the_published_one():
    assert CONTEXT_IRI == "https://w3id.org/vrm-pod/context.jsonld"


def term_iris(context: dict) -> set[URIRef]:
    """The IRIs the context's terms stand for (compact IRIs expanded; prefixes left out)."""
    iris = set()
    for definition in context.values():
        iri = definition["@id"] if isinstance(definition, dict) else definition
        prefix, colon, local = str(iri).partition(":")
        if colon and prefix in context:
            iris.add(URIRef(context[prefix] + local))
    return iris


def test_context_has_a_term_for_every_field_of_the_shapes():
    mapped = term_iris(jsonld_context()["@context"])

    for path in set(shapes_graph().objects(None, SH.path)):
        assert path in mapped, f"no JSON-LD term for {path}"


JSONLD_SAMPLES = {
    "/profile": {
        "@graph": [
            {
                "id": "#me",
                "type": "Person",
                "name": "Alex Example",
                "givenName": "Alex",
                "familyName": "Example",
                "email": ["alex@example.org", "alex.example@example.org"],
                "telephone": ["+44 20 7946 0958"],
                "address": [
                    {
                        "id": "#home",
                        "type": "PostalAddress",
                        "streetAddress": "1 Example Street",
                        "addressLocality": "Exampleton",
                        "postalCode": "EX1 2MP",
                        "addressRegion": "Exampleshire",
                        "addressCountry": "GB",
                    }
                ],
                "birthDate": "1990-04-23",
                "knowsLanguage": ["en", "fr-CA"],
            }
        ]
    },
    "/preferences": {
        "id": "#prefs",
        "type": "Preferences",
        "acceptsChannel": ["ChannelEmail", "ChannelInbox"],
        "doNotContact": False,
        "interest": ["cycling", "jazz", "cooking"],
        "favouriteBrand": ["Example Outdoor", "Sample Sounds"],
        "size": [
            {"id": "#shoes", "type": "SizePreference", "garment": "shoes", "sizeValue": "EU 42"},
            {"id": "#shirts", "type": "SizePreference", "garment": "shirts", "sizeValue": "M"},
        ],
        "dietaryNeed": ["vegetarian"],
        "budget": [
            {
                "id": "#groceries",
                "type": "BudgetRange",
                "category": "groceries",
                "maxPrice": "120.00",
                "priceCurrency": "GBP",
            },
            {
                "id": "#bicycle",
                "type": "BudgetRange",
                "category": "a new bicycle",
                "minPrice": "400.00",
                "maxPrice": "900.00",
                "priceCurrency": "GBP",
            },
        ],
    },
}


@pytest.mark.parametrize("path", sorted(JSONLD_SAMPLES))
def test_jsonld_with_the_inline_context_gives_the_same_graph_as_turtle(path):
    document = {"@context": jsonld_context()["@context"], **JSONLD_SAMPLES[path]}

    from_jsonld = Graph().parse(data=json.dumps(document), format="json-ld", base=POD + path)
    from_turtle = parse_document(sample_documents()[path], path)

    assert len(from_jsonld) == len(from_turtle)
    assert isomorphic(from_jsonld, from_turtle)


def test_jsonld_channel_names_expand_to_vocabulary_iris():
    context = jsonld_context()["@context"]
    document = {"@context": context, "id": "#p", "acceptsChannel": "ChannelSMS"}

    graph = Graph().parse(data=json.dumps(document), format="json-ld", base=POD + "/preferences")

    assert graph.value(URIRef(POD + "/preferences#p"), VOCAB.acceptsChannel) == VOCAB.ChannelSMS


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
