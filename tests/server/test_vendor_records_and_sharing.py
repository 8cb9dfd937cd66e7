"""Records vendors add, checked by their shapes and shown in words; and the customer sharing
one vendor's records with another in one step ("let my insurer read the dealer's service
history").

Against the real server on loopback, on both backends: vendors speak the protocol with their own
keys (DPoP), the customer uses the owner API and the consent page signed in like a person, and a
loopback callback receives the signed notifications.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from rdflib import Graph, Literal, URIRef

import vendor_client
from pds.consent import InvalidInput
from tests.server.records_setup import (
    PDS,
    PREFIXES,
    RECEIPT,
    SCHEMA,
    SERVICE_2025,
    SERVICE_2026,
    WARRANTY,
    WEEK,
    append,
    counts,
    known,
    wait_for,
)
from tests.server.vendor_setup import (
    PURPOSE,
    TURTLE,
    assert_refused,
    data_request,
    new_vendor,
    proof,
    stored,
)
from vendor_client import PendingRequest, PodClient, VendorKey

SHARE_TYPES = {"Share"}


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)  # vendors on loopback


# -- appending: the shapes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind", "field", "value"),
    [
        (RECEIPT, SCHEMA + "Order", SCHEMA + "orderNumber", "SO-1042"),
        (WARRANTY, SCHEMA + "WarrantyPromise", SCHEMA + "name", "3 years parts and labour"),
        (SERVICE_2026, PDS + "ServiceRecord", PDS + "mileage", "48200"),
    ],
    ids=["receipt", "warranty", "service-visit"],
)
def test_a_record_that_fits_its_shape_is_stored_as_written(
    server, dealer, body, kind, field, value
):
    response = append(server, dealer, body, "fits")

    assert response.status_code == 201, response.text
    graph = dealer.client.read(f"/vendors/{dealer.id}/fits", dealer.grant)
    [thing] = graph.subjects(URIRef(field), None)
    assert (thing, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef(kind)) in graph
    assert str(graph.value(thing, URIRef(field))) == value


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (
            RECEIPT.replace('schema:orderNumber "SO-1042" ;', ""),
            "Order number: Give the receipt's order number once",
        ),
        (
            RECEIPT.replace('"GBP"', '"pounds"'),
            "Currency: Give the receipt's currency once, as a three-letter capital code",
        ),
        (
            WARRANTY.replace(' ; schema:validThrough "2029-11-22"^^xsd:date', ""),
            "Ends: Give the last day of the warranty once",
        ),
        (
            SERVICE_2026.replace("48200", "-1"),
            "Mileage: Give the mileage once, as a whole number of kilometres",
        ),
        (
            SERVICE_2026.replace('schema:description "Brake pads replaced" ;', ""),
            "Work done: Say once what work was done",
        ),
    ],
    ids=[
        "receipt-without-number",
        "receipt-currency",
        "warranty-without-end",
        "visit-negative-mileage",
        "visit-without-work",
    ],
)
def test_a_record_that_breaks_its_shape_is_refused_with_422_and_nothing_is_stored(
    server, dealer, body, says
):
    before = stored(server)

    response = append(server, dealer, body, "broken")

    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://w3id.org/vrm-pod/problems#shape-violation"
    assert problem["detail"].startswith(f"the data is not valid: {says}"), problem["detail"]
    assert problem["violations"][0]["field"] == says.split(":")[0]
    assert stored(server) == before


def test_a_record_of_a_kind_the_pod_does_not_know_is_kept_as_it_is(server, dealer):
    body = PREFIXES + (
        '<#booking> a schema:EventReservation ; schema:reservationId "B-7" ;\n'
        f'    schema:description "{"Courtesy car while yours is serviced. " * 200}" ;\n'
        '    schema:price "free" .\n'
    )
    response = append(server, dealer, body, "booking")

    assert response.status_code == 201, response.text
    url = f"{server.url}/data/vendors/{dealer.id}/booking"
    expected = Graph().parse(data=body, format="turtle", publicID=url)
    got = dealer.client.read(f"/vendors/{dealer.id}/booking", dealer.grant)
    assert set(got) == set(expected)


# -- sharing: the insurer reads the dealer's service visit --------------------------------------


def test_sharing_a_service_visit_lets_the_insurer_read_that_record_and_nothing_else(
    server, owner, dealer, insurer, insurer_callback
):
    received = insurer_callback.notices
    record = f"/vendors/{dealer.id}/service-2026"

    shared = server.pod.sharing.share(insurer.id, [record], PURPOSE, WEEK)

    # The insurer is told, signed by the pod, where to fetch the grant...
    wait_for(lambda: received)
    told = insurer.client.verify_notification(received[0].body)
    assert told["type"] == "Share" and told["grant"] == shared.grant.id
    assert told["object"] == shared.status_url
    assert told["aud"] == insurer.id
    # ...and fetches it there with a proof of its key, as any decision (protocol §5).
    request_id = told["object"].rsplit("/", 1)[1]
    grant = PendingRequest(insurer.client, request_id, told["object"]).wait(timeout=10)
    assert grant.id == shared.grant.id
    assert grant.scopes == [{"resource": record, "modes": ["read"]}]
    assert grant.expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(seconds=WEEK)
    receipt = insurer.client.verify_receipt(grant)
    assert receipt["scopes"] == grant.scopes
    assert "Example Motors" in receipt["services"][0]["purposes"][0]["purpose"]
    insurer.grant = grant

    graph = insurer.client.read(record, grant)
    assert Literal("Brake pads replaced") in set(graph.objects())

    for other in (f"/vendors/{dealer.id}/service-2025", f"/vendors/{dealer.id}/"):
        with pytest.raises(vendor_client.AccessDenied) as refused:
            insurer.client.read(other, grant)
        assert refused.value.status == 403
    with pytest.raises(vendor_client.AccessDenied):
        insurer.client.read("/profile", grant)


def test_the_insurer_can_never_add_to_or_change_the_dealers_records(server, owner, dealer, insurer):
    container = f"/vendors/{dealer.id}/"
    shared = server.pod.sharing.share(insurer.id, [container], PURPOSE, WEEK)
    insurer.grant = PendingRequest(insurer.client, "", shared.status_url).wait(timeout=10)
    record_url = f"{server.url}/data{container}service-2026"
    before = stored(server)

    own = append(server, insurer, SERVICE_2025, "x")
    assert_refused(own, 403, "insufficient_scope", "insufficient-scope", "append")
    into_dealers = data_request(
        "POST",
        f"{server.url}/data{container}",
        insurer.grant.token,
        proof(insurer, "POST", f"{server.url}/data{container}"),
        data=SERVICE_2025,
        headers=TURTLE,
    )
    assert_refused(into_dealers, 403, "insufficient_scope", "insufficient-scope", "append")
    for method, body, headers in (
        ("PUT", SERVICE_2025, TURTLE),
        ("PATCH", "DELETE WHERE { ?s ?p ?o }", {"Content-Type": "application/sparql-update"}),
        ("DELETE", None, {}),
    ):
        response = data_request(
            method,
            record_url,
            insurer.grant.token,
            proof(insurer, method, record_url),
            data=body,
            headers=headers,
        )
        assert_refused(response, 403, "insufficient_scope", "insufficient-scope", "write")
    assert stored(server) == before
    # Reading what was shared still works: the container, and a record added later.
    assert dealer.client.append(container, SERVICE_2025, dealer.grant, slug="service-2027")
    assert len(insurer.client.read(container + "service-2027", insurer.grant)) > 0


def test_taking_a_share_back_stops_the_insurers_next_read(server, owner, dealer, insurer):
    record = f"/vendors/{dealer.id}/service-2026"
    shared = server.pod.sharing.share(insurer.id, [record], PURPOSE, WEEK)
    grant = PendingRequest(insurer.client, "", shared.status_url).wait(timeout=10)
    assert len(insurer.client.read(record, grant)) > 0

    revoked = owner.post(f"{server.url}/owner/grants/{grant.id}/revoke")
    assert revoked.status_code == 200, revoked.text

    with pytest.raises(vendor_client.GrantRevoked):
        insurer.client.read(record, grant)


def test_a_share_is_an_ordinary_grant_approved_by_the_customer(server, owner, dealer, insurer):
    record = f"/vendors/{dealer.id}/service-2026"

    shared = server.pod.sharing.share(insurer.id, [record], PURPOSE, WEEK)

    grant = owner.get(f"{server.url}/owner/grants/{shared.grant.id}").json()
    assert grant["state"] == "active" and grant["vendor_id"] == insurer.id
    assert grant["scopes"] == [{"resource": record, "modes": ["read"]}]
    assert grant["purpose"]["iri"] == PURPOSE
    assert grant["callback"] is not None and grant["callback"] == shared.grant.callback
    events = owner.get(f"{server.url}/owner/audit").json()["events"]
    approval = next(e for e in events if e["action"] == "request.approve")
    assert approval["actor"] == "owner"
    assert approval["detail"]["grant"] == shared.grant.id
    assert approval["detail"]["vendor"] == insurer.id


def test_a_vendor_without_a_callback_is_not_told_but_finds_the_grant_when_it_asks(
    server, owner, dealer
):
    quiet = known(server, owner, "Quiet Insurance", [{"resource": "/preferences"}])

    shared = server.pod.sharing.share(
        quiet.id, [f"/vendors/{dealer.id}/service-2025"], PURPOSE, WEEK
    )

    assert not shared.notified and shared.grant.callback is None
    asked = quiet.client.approved_requests()  # newest first: the share, then its own
    assert asked[0] == shared.status_url and len(asked) == 2
    grant = quiet.client.shared_grant(asked[0], grant_id=shared.grant.id)
    assert quiet.client.read(f"/vendors/{dealer.id}/service-2025", grant)
    # Another key sees none of it.
    assert PodClient(server.url, VendorKey.generate()).approved_requests() == []


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("own records", "holds Example Motors's own records"),
        ("unknown vendor", "you have not given this vendor access before"),
        ("not a record", "is not a record a vendor saved in your pod"),
        ("no such record", "there is no record in your pod at"),
        ("too short", "a share lasts a whole number of seconds from 60"),
        ("too long", "a share lasts a whole number of seconds from 60"),
        ("unknown purpose", "choose the purpose of the share"),
        ("the pod's listing", "is not a record a vendor saved in your pod"),
    ],
)
def test_a_share_that_cannot_be_is_refused_in_words_and_nothing_is_made(
    server, owner, dealer, insurer, case, says
):
    record = f"/vendors/{dealer.id}/service-2026"
    to, resources, purpose, duration = insurer.id, [record], PURPOSE, WEEK
    if case == "own records":
        to = dealer.id
    elif case == "unknown vendor":
        to = "U" * 43
    elif case == "not a record":
        resources = ["/profile"]
    elif case == "no such record":
        resources = [f"/vendors/{dealer.id}/service-1999"]
    elif case == "too short":
        duration = 59
    elif case == "too long":
        duration = 367 * 86400
    elif case == "unknown purpose":
        purpose = "https://w3id.org/dpv#Selling"
    elif case == "the pod's listing":
        resources = ["/vendors/"]
    before = counts(server)

    with pytest.raises(InvalidInput) as refused:
        server.pod.sharing.share(to, resources, purpose, duration)

    assert says in str(refused.value)
    assert counts(server) == before


def test_a_key_that_only_asked_is_not_offered_as_someone_to_share_with(server, owner, dealer):
    """Anyone can ask under any name: only vendors the customer gave access to are listed."""
    stranger = new_vendor(server)
    stranger.client.request_access(
        [{"resource": "/preferences"}],
        purpose=PURPOSE,
        description="to look after your car",
        duration=dt.timedelta(days=30),
        vendor={"name": "Safe Roads Insurance"},
    )
    assert stranger.id not in {v.vendor_id for v in server.pod.sharing.known_vendors()}
    with pytest.raises(InvalidInput, match="not given this vendor access"):
        server.pod.sharing.share(stranger.id, [f"/vendors/{dealer.id}/service-2025"], PURPOSE, WEEK)
