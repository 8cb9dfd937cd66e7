"""The shapes of the records vendors add (receipts, warranties, service visits), the words they
give the customer's page, and the read scopes a share may name inside a vendor's container."""

from __future__ import annotations

import pytest
from rdflib import Graph

from pds.consent.errors import InvalidInput, TooLarge
from pds.consent.records import check_record, record_kinds
from pds.consent.scopes import READ, Scope, check_scope, container_vendor, parse_scopes
from pds.resources import ShapeViolation
from tests.schemas.shape_checks import assert_reads_like_a_person_wrote_it

PREFIXES = """
@prefix pds: <https://w3id.org/vrm-pod/ns#> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
RECORD_IRI = "http://127.0.0.1:8000/data/vendors/" + "D" * 43 + "/record"
DEALER, INSURER = "D" * 43, "I" * 43

RECEIPT = """<#order> a schema:Order ; schema:orderNumber "SO-1042" ;
    schema:orderDate "2026-11-23"^^xsd:date ; schema:description "Winter tyres, fitted"@en ;
    schema:price 480.00 ; schema:priceCurrency "GBP" ."""
WARRANTY = """<#warranty> a schema:WarrantyPromise ; schema:name "3 years parts and labour" ;
    schema:validFrom "2026-11-23"^^xsd:date ; schema:validThrough "2029-11-22"^^xsd:date ;
    schema:warrantyScope <https://schema.org/ParcelService> ."""
SERVICE_VISIT = """<#visit> a pds:ServiceRecord ; schema:name "Annual service" ;
    schema:startDate "2026-03-12"^^xsd:date ; schema:description "Oil and filters changed" ;
    pds:mileage 48200 ."""


def record(turtle: str) -> Graph:
    return Graph().parse(data=PREFIXES + turtle, format="turtle", publicID=RECORD_IRI)


def refusal(turtle: str) -> ShapeViolation:
    with pytest.raises(ShapeViolation) as caught:
        check_record(record(turtle))
    return caught.value


# -- records that fit ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "turtle",
    [
        RECEIPT,
        WARRANTY,
        SERVICE_VISIT,
        # The least each kind needs.
        '<#o> a schema:Order ; schema:orderNumber "A-1" ;'
        ' schema:orderDate "2026-11-23T14:05:00Z"^^xsd:dateTime .',
        '<#w> a schema:WarrantyPromise ; schema:description "The battery" ;'
        ' schema:validThrough "2027-01-01"^^xsd:date .',
        '<#v> a pds:ServiceRecord ; schema:startDate "2026-03-12"^^xsd:date ;'
        ' schema:description "Brakes checked" .',
        # A whole number is a decimal: a price may be written 480.
        '<#o> a schema:Order ; schema:orderNumber "A-2" ; schema:orderDate "2026-11-23"^^xsd:date ;'
        ' schema:price 480 ; schema:priceCurrency "EUR" .',
    ],
    ids=[
        "receipt",
        "warranty",
        "service-visit",
        "receipt-least",
        "warranty-least",
        "visit-least",
        "whole-price",
    ],
)
def test_a_record_that_fits_its_shape_is_accepted(turtle):
    check_record(record(turtle))


def test_a_record_of_a_kind_the_pod_does_not_know_is_accepted_as_it_is():
    check_record(
        record(
            '<#ticket> a schema:EventReservation ; schema:reservationId "T-7" ;'
            f' schema:description "{"a very long text " * 500}" ; schema:price "free" .'
        )
    )


def test_extra_data_in_a_known_kind_is_kept():
    check_record(record(RECEIPT + ' <#order> schema:seller [ schema:name "Example Motors" ] .'))


def test_a_person_in_a_record_is_not_checked_as_the_customers_profile():
    # The profile's shape wants a name; a record's buyer need not have one.
    check_record(record(RECEIPT + " <#order> schema:customer [ a schema:Person ] ."))


# -- records that do not ------------------------------------------------------------------------

BAD_RECORDS = [
    pytest.param(
        '<#o> a schema:Order ; schema:orderDate "2026-11-23"^^xsd:date .',
        "Order number",
        "Give the receipt's order number once, as text of 1 to 100 characters.",
        id="receipt-without-number",
    ),
    pytest.param(
        '<#o> a schema:Order ; schema:orderNumber "A-1" ; schema:orderDate "yesterday" .',
        "Date",
        "Give the receipt's order date once, as a date like 2026-11-23 or a date and time like "
        "2026-11-23T14:05:00Z.",
        id="receipt-date-in-words",
    ),
    pytest.param(
        '<#o> a schema:Order ; schema:orderNumber "A-1" ; schema:orderDate "2026-11-23"^^xsd:date ;'
        ' schema:price "480 pounds" .',
        "Price",
        "Give the receipt's price once, as a decimal number like 19.99.",
        id="receipt-price-in-words",
    ),
    pytest.param(
        '<#o> a schema:Order ; schema:orderNumber "A-1" ; schema:orderDate "2026-11-23"^^xsd:date ;'
        ' schema:priceCurrency "pounds" .',
        "Currency",
        "Give the receipt's currency once, as a three-letter capital code like EUR, GBP or USD.",
        id="receipt-currency-not-a-code",
    ),
    pytest.param(
        f'<#o> a schema:Order ; schema:orderNumber "{"9" * 101}" ;'
        ' schema:orderDate "2026-11-23"^^xsd:date .',
        "Order number",
        "Give the receipt's order number once, as text of 1 to 100 characters.",
        id="receipt-number-too-long",
    ),
    pytest.param(
        '<#w> a schema:WarrantyPromise ; schema:name "Battery" .',
        "Ends",
        "Give the last day of the warranty once, as a date like 2029-11-23.",
        id="warranty-without-end",
    ),
    pytest.param(
        '<#w> a schema:WarrantyPromise ; schema:validThrough "2029-11-22"^^xsd:date .',
        None,
        "Give the warranty a name or a description of what it covers, or both.",
        id="warranty-about-nothing",
    ),
    pytest.param(
        '<#w> a schema:WarrantyPromise ; schema:name "Battery" ;'
        ' schema:validFrom "2029-01-01"^^xsd:date ; schema:validThrough "2027-01-01"^^xsd:date .',
        "Starts",
        "The warranty must start on or before its last day.",
        id="warranty-ends-before-it-starts",
    ),
    pytest.param(
        '<#v> a pds:ServiceRecord ; schema:startDate "2026-03-12"^^xsd:date .',
        "Work done",
        "Say once what work was done, as text of 1 to 2000 characters.",
        id="visit-without-work",
    ),
    pytest.param(
        '<#v> a pds:ServiceRecord ; schema:description "Oil" ; pds:mileage -5 ;'
        ' schema:startDate "2026-03-12"^^xsd:date .',
        "Mileage",
        "Give the mileage once, as a whole number of kilometres from 0 to 10000000.",
        id="visit-negative-mileage",
    ),
    pytest.param(
        '<#v> a pds:ServiceRecord ; schema:description "Oil" ; pds:mileage 12.5 ;'
        ' schema:startDate "2026-03-12"^^xsd:date .',
        "Mileage",
        "Give the mileage once, as a whole number of kilometres from 0 to 10000000.",
        id="visit-mileage-not-whole",
    ),
    pytest.param(
        '<#v> a pds:ServiceRecord ; schema:description "Oil" .',
        "Date",
        "Give the day of the service visit once, as a date like 2026-11-23.",
        id="visit-without-date",
    ),
]


@pytest.mark.parametrize(("turtle", "field", "message"), BAD_RECORDS)
def test_a_record_that_breaks_its_shape_is_refused_naming_the_field_in_words(
    turtle, field, message
):
    refused = refusal(turtle)

    shown = f"{field}: {message}" if field else message
    assert (field, shown) in [(v["field"], v["message"]) for v in refused.violations]
    assert str(refused).startswith(f"the data is not valid: {shown}")


@pytest.mark.parametrize(("turtle", "field", "message"), BAD_RECORDS)
def test_every_refusal_of_a_record_is_plain_english(turtle, field, message):
    for violation in refusal(turtle).violations:
        field = violation["field"]
        text = violation["message"].removeprefix(f"{field}: " if field else "")
        assert_reads_like_a_person_wrote_it(text)


def test_a_kind_is_checked_wherever_it_is_in_the_record():
    nested = '<#visit> schema:about [ a schema:Order ; schema:orderNumber "A-1" ] .'
    assert refusal(nested).violations[0]["field"] == "Date"


# -- the words the page uses ----------------------------------------------------------------------


def test_the_kinds_have_the_names_the_customer_reads_and_their_fields_in_order():
    kinds = {k.type: k for k in record_kinds().values()}

    receipt = kinds["https://schema.org/Order"]
    assert receipt.name == "Receipt"
    assert list(receipt.fields.values()) == [
        "Order number",
        "Date",
        "What was bought",
        "Price",
        "Currency",
    ]
    assert kinds["https://schema.org/WarrantyPromise"].name == "Warranty"
    visit = kinds["https://w3id.org/vrm-pod/ns#ServiceRecord"]
    assert visit.name == "Service visit"
    assert visit.fields["https://w3id.org/vrm-pod/ns#mileage"] == "Mileage"


# -- read scopes inside a vendor's container ------------------------------------------------------


@pytest.mark.parametrize(
    "resource",
    [f"/vendors/{DEALER}/service-2026", f"/vendors/{DEALER}/service/", f"/vendors/{DEALER}/a/b"],
)
def test_a_share_may_name_a_record_or_folder_in_a_vendors_container_to_read(resource):
    scope = Scope(resource, frozenset({READ}))

    assert check_scope(scope, INSURER, within_containers=True) == scope
    assert container_vendor(resource) == DEALER


@pytest.mark.parametrize("vendor_id", [INSURER, DEALER, None])
def test_a_record_inside_a_container_is_never_appended_to(vendor_id):
    scope = Scope(f"/vendors/{DEALER}/service-2026", frozenset({READ, "append"}))

    with pytest.raises(InvalidInput, match="can only be read"):
        check_scope(scope, vendor_id, within_containers=True)


def test_fields_cannot_be_chosen_in_a_record():
    scope = Scope(f"/vendors/{DEALER}/service-2026", frozenset({READ}), frozenset({"x"}))

    with pytest.raises(InvalidInput, match="fields can be chosen only for"):
        check_scope(scope, INSURER, within_containers=True)


def test_vendors_still_ask_for_whole_containers_only():
    with pytest.raises(InvalidInput, match="unknown resource"):
        parse_scopes([{"resource": f"/vendors/{DEALER}/service-2026"}], INSURER)


@pytest.mark.parametrize(
    "resource",
    [
        "/profile",
        "/vendors/",
        f"/vendors/{DEALER}",
        f"/vendors/{DEALER}/../profile",
        f"/vendors/{DEALER}//x",
        f"/vendors/{DEALER}/.hidden",
        "/vendors/short/record",
    ],
)
def test_anything_else_is_not_in_a_vendors_container(resource):
    assert container_vendor(resource) is None
    if resource != "/profile":
        with pytest.raises(InvalidInput, match="unknown resource"):
            check_scope(Scope(resource, frozenset({READ})), INSURER, within_containers=True)


def test_a_record_too_big_to_check_is_refused_before_validation():
    things = "\n".join(f'<#t{n}> <https://schema.org/name> "thing {n}" .' for n in range(2001))
    with pytest.raises(TooLarge, match="at most 2000 things"):
        check_record(record(things))


def test_a_subclass_of_a_known_kind_is_checked_as_that_kind():
    subclass = """
        @prefix schema: <https://schema.org/> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <#MyOrder> rdfs:subClassOf schema:Order .
        <#it> a <#MyOrder> ; schema:name "no order number, no date" .
    """
    fields = {v["field"] for v in refusal(subclass).violations}
    assert {"Order number", "Date"} <= fields
