"""The JSON-LD context: nothing remote, a term for every field, and the same graph as Turtle."""

import json

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH

from pds.schemas import CONTEXT_IRI, VOCAB, jsonld_context, sample_documents, shapes_graph
from tests.schemas.shape_checks import POD, parse_document

pytestmark = pytest.mark.usefixtures("no_network")  # nothing may be fetched

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
