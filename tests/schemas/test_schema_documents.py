"""Documents against the shapes: the samples conform; refused ones say why in plain English."""

import pytest
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import SH

from pds.schemas import VOCAB, sample_documents, shape_for_path, shapes_graph
from tests.schemas.shape_checks import (
    POD,
    PREFIXES,
    SCHEMA,
    Problem,
    assert_reads_like_a_person_wrote_it,
    parse_document,
    problems,
)

pytestmark = pytest.mark.usefixtures("no_network")  # nothing may be fetched

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
