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
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
import sqlalchemy as sa
from rdflib import Graph, Literal, URIRef

import vendor_client
from pds.consent import InvalidInput
from pds.store import tables
from tests.server.test_my_data_page import Page, signed_in
from tests.server.vendor_setup import (
    PURPOSE,
    TURTLE,
    Vendor,
    assert_refused,
    data_request,
    new_vendor,
    proof,
    stored,
)
from vendor_client import PendingRequest, PodClient, VendorKey

SCHEMA = "https://schema.org/"
PDS = "https://w3id.org/vrm-pod/ns#"
PREFIXES = (
    "@prefix schema: <https://schema.org/> .\n"
    "@prefix pds: <https://w3id.org/vrm-pod/ns#> .\n"
    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
)
RECEIPT = PREFIXES + (
    '<#order> a schema:Order ; schema:orderNumber "SO-1042" ;\n'
    '    schema:orderDate "2026-11-23"^^xsd:date ; schema:description "Winter tyres, fitted" ;\n'
    '    schema:price 480.00 ; schema:priceCurrency "GBP" .\n'
)
WARRANTY = PREFIXES + (
    '<#warranty> a schema:WarrantyPromise ; schema:name "3 years parts and labour" ;\n'
    '    schema:validFrom "2026-11-23"^^xsd:date ; schema:validThrough "2029-11-22"^^xsd:date .\n'
)
SERVICE_2025 = PREFIXES + (
    '<#visit> a pds:ServiceRecord ; schema:name "Annual service" ;\n'
    '    schema:startDate "2025-03-10"^^xsd:date ; schema:description "Oil and filters" ;\n'
    "    pds:mileage 31000 .\n"
)
SERVICE_2026 = PREFIXES + (
    '<#visit> a pds:ServiceRecord ; schema:name "Annual service" ;\n'
    '    schema:startDate "2026-03-12"^^xsd:date ; schema:description "Brake pads replaced" ;\n'
    "    pds:mileage 48200 .\n"
)
SHARE_TYPES = {"Share"}
WEEK = 7 * 86400


# -- a loopback callback, and vendors the pod knows -----------------------------------------------


class _Callback(BaseHTTPRequestHandler):
    received: list[bytes]

    def do_POST(self):
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)  # vendors on loopback


@pytest.fixture
def insurer_callback():
    handler = type("Handler", (_Callback,), {"received": []})
    http = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{http.server_port}/pod-events", handler.received
    http.shutdown()
    http.server_close()


def known(
    server,
    owner,
    name: str,
    scopes: list[dict],
    callback: str | None = None,
    vendor: Vendor | None = None,
) -> Vendor:
    """A vendor (new unless given) that asked for `scopes` and was given them."""
    vendor = vendor or new_vendor(server)
    pending = vendor.client.request_access(
        scopes,
        purpose=PURPOSE,
        description="to look after your car",
        duration=dt.timedelta(days=30),
        vendor={"name": name},
        callback=callback,
    )
    approved = owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve")
    assert approved.status_code == 201, approved.text
    vendor.grant = pending.wait(timeout=10)
    return vendor


@pytest.fixture
def dealer(server, owner) -> Vendor:
    """A car dealer that keeps its records in its own container: two service visits."""
    vendor = new_vendor(server)
    own = [{"resource": f"/vendors/{vendor.id}/", "modes": ["read", "append"]}]
    known(server, owner, "Example Motors", own, vendor=vendor)
    for slug, body in (("service-2025", SERVICE_2025), ("service-2026", SERVICE_2026)):
        vendor.client.append(f"/vendors/{vendor.id}/", body, vendor.grant, slug=slug)
    return vendor


@pytest.fixture
def insurer(server, owner, insurer_callback) -> Vendor:
    """An insurer that once asked for the customer's email address, with a callback."""
    url, _received = insurer_callback
    scopes = [{"resource": "/profile", "modes": ["read"], "fields": [SCHEMA + "email"]}]
    return known(server, owner, "Example Insurance", scopes, callback=url)


def append(server, vendor: Vendor, body: str, slug: str) -> requests.Response:
    url = f"{server.url}/data/vendors/{vendor.id}/"
    headers = {**TURTLE, "Slug": slug}
    return data_request(
        "POST", url, vendor.grant.token, proof(vendor, "POST", url), data=body, headers=headers
    )


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def counts(server) -> tuple[int, int]:
    """How many access requests and grants the pod holds."""
    with server.store.read() as conn:
        return tuple(
            conn.execute(sa.select(sa.func.count()).where(t.c.pod_id == server.pod.id)).scalar_one()
            for t in (tables.access_requests, tables.grants)
        )


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
    _url, received = insurer_callback
    record = f"/vendors/{dealer.id}/service-2026"

    shared = server.pod.sharing.share(insurer.id, [record], PURPOSE, WEEK)

    # The insurer is told, signed by the pod, where to fetch the grant...
    wait_for(lambda: received)
    told = insurer.client.verify_notification(received[0])
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


# -- the page: records in words, and the share form -----------------------------------------------


@pytest.fixture
def browser(server, owner) -> requests.Session:
    return signed_in(server)


def options(html: str, select_id: str) -> list[tuple[str, str]]:
    """(value, text) of the options of the select with this id."""
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select, select_id
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


def test_the_records_page_says_what_each_record_is_in_plain_words(server, browser, dealer):
    append(server, dealer, RECEIPT, "order-SO-1042")

    listing = browser.get(f"{server.url}/app/records", timeout=10).text
    assert ">Receipt SO-1042, 23 Nov 2026</a>" in listing
    assert ">Service visit on 12 Mar 2026: Brake pads replaced</a>" in listing
    assert re.search(r"Example Motors</span>\s*<span class=\"unverified\">", listing)

    page = browser.get(f"{server.url}/app/records/{dealer.id}/order-SO-1042", timeout=10)
    shown = Page(page.text)
    assert shown.text["thing-1-title"] == "Receipt"
    facts = re.sub(r"\s+", " ", shown.text["thing-1"])
    for words in ("Order number SO-1042", "Date 23 Nov 2026", "Price 480.00 GBP"):
        assert words in facts, facts
    assert "Currency" not in facts  # said with the price
    assert "<details" in page.text and "schema:orderNumber" in page.text  # folded away

    visit = Page(browser.get(f"{server.url}/app/records/{dealer.id}/service-2026").text)
    facts = re.sub(r"\s+", " ", visit.text["thing-1"])
    assert visit.text["thing-1-title"] == "Service visit"
    assert "Mileage 48,200 km" in facts and "Work done Brake pads replaced" in facts


def test_the_share_form_lets_the_customer_share_a_record_and_says_so(
    server, browser, dealer, insurer, insurer_callback
):
    _url, received = insurer_callback
    page = browser.get(f"{server.url}/app/records/{dealer.id}/service-2026", timeout=10).text

    vendors = options(page, "share-record-vendor")
    assert [text for _v, text in vendors] == ["Example Insurance"]  # not the dealer
    durations = [text for _v, text in options(page, "share-record-duration")]
    assert durations == ["A day", "A week", "30 days", "90 days", "A year"]
    form = dict(Page(page).submission("/app/records/share"))
    sent = {
        **form,
        "vendor": insurer.id,
        "purpose": PURPOSE,
        "duration": str(90 * 86400),
    }
    response = browser.post(f"{server.url}/app/records/share", data=sent, timeout=10)

    assert response.status_code == 200, response.text
    confirmation = Page(response.text)
    assert "Shared with Example Insurance" in re.sub(r"\s+", " ", response.text)
    grant_id = response.url.rsplit("/", 1)[1]
    assert f"/app/grants/{grant_id}" in confirmation.links
    assert "Your pod has told Example Insurance about it." in response.text
    grant = server.pod.grants.get(grant_id)
    assert grant.vendor_id == insurer.id and grant.state == "active"
    assert [s.to_json() for s in grant.scopes] == [
        {"resource": f"/vendors/{dealer.id}/service-2026", "modes": ["read"]}
    ]
    assert grant.expires_at - grant.issued_at == dt.timedelta(days=90)
    wait_for(lambda: received)
    assert insurer.client.verify_notification(received[0])["grant"] == grant_id


def test_the_share_form_on_a_vendors_records_shares_them_all_with_a_vendor_without_callback(
    server, owner, browser, dealer
):
    quiet = known(server, owner, "Quiet Insurance", [{"resource": "/preferences"}])
    page = browser.get(f"{server.url}/app/records", timeout=10).text
    form = dict(Page(page).submission("/app/records/share"))
    assert form["writer"] == dealer.id and form["record"] == ""

    sent = {**form, "vendor": quiet.id, "purpose": PURPOSE, "duration": "86400"}
    response = browser.post(f"{server.url}/app/records/share", data=sent, timeout=10)

    assert response.status_code == 200, response.text
    assert "it finds the grant when it next looks at its requests to your pod" in response.text
    grant = server.pod.grants.get(response.url.rsplit("/", 1)[1])
    assert [s.resource for s in grant.scopes] == [f"/vendors/{dealer.id}/"]


def test_the_share_form_needs_its_csrf_token_and_refusals_are_said_on_the_page(
    server, browser, dealer, insurer
):
    page = browser.get(f"{server.url}/app/records/{dealer.id}/service-2026", timeout=10).text
    form = dict(Page(page).submission("/app/records/share"))
    before = counts(server)

    forged = {**form, "csrf_token": "forged", "vendor": insurer.id, "purpose": PURPOSE}
    response = browser.post(f"{server.url}/app/records/share", data=forged, timeout=10)
    assert response.status_code == 400
    assert counts(server) == before

    to_itself = {**form, "vendor": dealer.id, "purpose": PURPOSE, "duration": "86400"}
    response = browser.post(f"{server.url}/app/records/share", data=to_itself, timeout=10)
    assert response.status_code == 200
    assert response.url.endswith(f"/app/records/{dealer.id}/service-2026")
    assert "Nothing was shared: " in response.text and "own records" in response.text
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
