"""My data: the page that edits the stored documents with forms made from the shapes.

These tests drive the real server over HTTP, signed in through the sign-in page like a person,
and check the stored documents through the data API.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
import time
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from pds import schemas
from tests.conftest import PASSWORD
from tests.server.test_data_api import stored_bytes
from vendor_client import PodClient, VendorKey

SCHEMA = Namespace("https://schema.org/")
PDS = schemas.VOCAB
TURTLE = {"Content-Type": "text/turtle"}


class Page(HTMLParser):
    """What a test reads from a page: the inputs of each form, and the text of elements by id."""

    VOID = {"input", "br", "img", "meta", "link", "hr"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, list[dict[str, str]]] = {}
        self.by_id: dict[str, dict[str, str]] = {}
        self.text: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        self.links: list[str] = []
        self._form: list[dict[str, str]] | None = None
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        if "id" in attributes:
            self.by_id[attributes["id"]] = {"tag": tag, **attributes}
        if tag == "form":
            action = attributes.get("action", "").partition("#")[0]
            self._form = self.forms.setdefault(action, [])
        elif tag == "input" and self._form is not None:
            self._form.append(attributes)
        elif tag == "a" and "href" in attributes:
            self.links.append(attributes["href"])
        if tag == "label" and "for" in attributes:
            self._open.append((tag, "label:" + attributes["for"]))
        elif tag not in self.VOID:
            self._open.append((tag, attributes.get("id")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        for _tag, key in self._open:
            if key and key.startswith("label:"):
                self.labels[key[6:]] = self.labels.get(key[6:], "") + data
            elif key:
                self.text[key] = self.text.get(key, "") + data

    def submission(self, action: str) -> list[tuple[str, str]]:
        """What a browser would send for this form, unchanged."""
        return [
            (i["name"], i.get("value", ""))
            for i in self.forms[action]
            if "name" in i and (i.get("type") != "checkbox" or "checked" in i)
        ]


def signed_in(server) -> requests.Session:
    browser = requests.Session()
    form = Page(browser.get(f"{server.url}/app/sign-in", timeout=10).text)
    token = dict(form.submission(""))["csrf_token"]
    response = browser.post(
        f"{server.url}/app/sign-in", data={"csrf_token": token, "password": PASSWORD}, timeout=10
    )
    assert response.status_code == 200 and "Sign out" in response.text
    return browser


@pytest.fixture
def browser(server, owner) -> requests.Session:
    """A person signed in through the sign-in page (the `owner` fixture claimed the pod)."""
    return signed_in(server)


@pytest.fixture
def stored_profile(server, owner) -> str:
    response = owner.put(
        f"{server.url}/data/profile", data=schemas.sample_documents()["/profile"], headers=TURTLE
    )
    assert response.status_code == 201
    return response.headers["ETag"].strip('"')


def replace(submission: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    assert name in dict(submission)
    return [(n, value if n == name else v) for n, v in submission]


def stored_graph(server, owner) -> Graph:
    response = owner.get(f"{server.url}/data/profile", headers={"Accept": "text/turtle"})
    return Graph().parse(data=response.text, format="turtle", publicID=f"{server.url}/data/profile")


def test_the_page_needs_signing_in(server, anonymous):
    response = anonymous.get(f"{server.url}/app/data", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert "/app/sign-in" in response.headers["Location"]


def test_the_form_shows_the_stored_values_with_labels_for_every_input(
    server, browser, stored_profile
):
    page = Page(browser.get(f"{server.url}/app/data", timeout=10).text)
    assert page.by_id["profile-name"]["value"] == "Alex Example"
    assert page.by_id["profile-email-0"]["value"] == "alex.example@example.org"
    assert page.by_id["profile-email-1"]["value"] == "alex@example.org"
    assert page.by_id["profile-email-2"]["value"] == ""  # room for another one
    assert page.by_id["profile-address-0-postalCode"]["value"] == "EX1 2MP"
    assert page.labels["profile-address-0-postalCode"] == "Postcode"
    assert page.by_id["profile-birthDate"]["type"] == "date"
    assert page.by_id["profile-name-help"]["tag"] == "p"
    assert "profile-name-help" in page.by_id["profile-name"]["aria-describedby"]
    assert page.text["profile-name-help"] == "Your name as you like vendors to write it."
    for inputs in page.forms.values():
        for field in inputs:
            if field.get("type") != "hidden":
                assert page.labels.get(field["id"], "").strip(), f"{field['id']} has no label"
    assert page.by_id["preferences-acceptsChannel-ChannelEmail"]["type"] == "checkbox"
    assert page.labels["preferences-acceptsChannel-ChannelSMS"] == "Text message (SMS)"
    submission = dict(page.submission("/app/data/profile"))
    assert submission["etag"] == stored_profile


def test_saving_a_changed_email_updates_the_stored_profile(server, browser, owner, stored_profile):
    page = Page(browser.get(f"{server.url}/app/data", timeout=10).text)
    sent = replace(page.submission("/app/data/profile"), "email-1", "alex@new.example")
    response = browser.post(f"{server.url}/app/data/profile", data=sent, timeout=10)
    assert response.status_code == 200
    assert response.url.startswith(f"{server.url}/app/data")
    assert "Your changes to your profile are saved." in response.text

    graph = stored_graph(server, owner)
    me = URIRef(f"{server.url}/data/profile#me")
    assert set(graph.objects(me, SCHEMA.email)) == {
        Literal("alex.example@example.org"),
        Literal("alex@new.example"),
    }
    assert graph.value(me, SCHEMA.name) == Literal("Alex Example")
    assert graph.value(URIRef(f"{server.url}/data/profile#home"), SCHEMA.postalCode) == Literal(
        "EX1 2MP"
    )
    assert Page(response.text).by_id["profile-email-1"]["value"] == "alex@new.example"


def test_an_invalid_email_is_explained_next_to_it_and_nothing_is_saved(
    server, browser, stored_profile
):
    before = stored_bytes(server, "/profile")
    page = Page(browser.get(f"{server.url}/app/data", timeout=10).text)
    sent = replace(page.submission("/app/data/profile"), "email-0", "not-an-email")
    sent = replace(sent, "givenName", "Alexandra")
    response = browser.post(f"{server.url}/app/data/profile", data=sent, timeout=10)

    assert response.status_code == 400
    shown = Page(response.text)
    email = shown.by_id["profile-email-0"]
    assert email["value"] == "not-an-email" and email["aria-invalid"] == "true"
    assert "profile-email-0-error" in email["aria-describedby"].split()
    assert shown.text["profile-email-0-error"] == "Enter an email address like name@example.org."
    assert shown.by_id["profile-givenName"]["value"] == "Alexandra"  # the rest is kept too
    assert "Nothing was saved" in shown.text["profile-problems"]
    assert "#profile-email-0" in shown.links
    assert stored_bytes(server, "/profile") == before


def test_a_change_made_elsewhere_meanwhile_is_explained_and_not_overwritten(
    server, browser, owner, stored_profile
):
    page = Page(browser.get(f"{server.url}/app/data", timeout=10).text)
    elsewhere = schemas.sample_documents()["/profile"].replace("Alex Example", "Alex Elsewhere")
    assert (
        owner.put(f"{server.url}/data/profile", data=elsewhere, headers=TURTLE).status_code == 204
    )
    after_elsewhere = stored_bytes(server, "/profile")

    sent = replace(page.submission("/app/data/profile"), "email-1", "alex@new.example")
    response = browser.post(f"{server.url}/app/data/profile", data=sent, timeout=10)

    assert response.status_code == 409
    shown = Page(response.text)
    assert "changed in another window" in shown.text["profile-notice"]
    assert "alex@new.example" in shown.text["profile-notice"]  # what they typed, to copy
    assert shown.by_id["profile-name"]["value"] == "Alex Elsewhere"
    assert dict(shown.submission("/app/data/profile"))["etag"] != stored_profile
    assert stored_bytes(server, "/profile") == after_elsewhere


def test_a_form_without_its_csrf_token_changes_nothing(server, browser, stored_profile):
    before = stored_bytes(server, "/profile")
    page = Page(browser.get(f"{server.url}/app/data", timeout=10).text)
    sent = [(n, v) for n, v in page.submission("/app/data/profile") if n != "csrf_token"]
    response = browser.post(
        f"{server.url}/app/data/profile", data=replace(sent, "name", "Mallory"), timeout=10
    )
    assert response.status_code == 400
    assert "expired" in response.text
    assert stored_bytes(server, "/profile") == before


def test_first_preferences_are_saved_from_an_empty_form(server, browser, owner):
    page = Page(browser.get(f"{server.url}/app/data", timeout=10).text)
    sent = page.submission("/app/data/preferences")
    assert dict(sent)["etag"] == ""
    sent += [("acceptsChannel", str(PDS.ChannelPost)), ("doNotContact", "true")]
    sent = replace(sent, "size-0-garment", "shoes")
    sent = replace(sent, "size-0-sizeValue", "EU 42")
    response = browser.post(f"{server.url}/app/data/preferences", data=sent, timeout=10)
    assert response.status_code == 200
    assert "Your changes to your preferences are saved." in response.text

    turtle = owner.get(f"{server.url}/data/preferences").text
    graph = Graph().parse(data=turtle, format="turtle", publicID=f"{server.url}/data/preferences")
    prefs = URIRef(f"{server.url}/data/preferences#prefs")
    assert (prefs, RDF.type, PDS.Preferences) in graph
    assert set(graph.objects(prefs, PDS.acceptsChannel)) == {PDS.ChannelPost}
    assert graph.value(prefs, PDS.doNotContact) == Literal(True)
    [size] = graph.objects(prefs, PDS.size)
    assert graph.value(size, PDS.garment) == Literal("shoes")
    assert (size, RDF.type, PDS.SizePreference) in graph


class Notifications(BaseHTTPRequestHandler):
    received: list[bytes]

    def do_POST(self):
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)  # a vendor on loopback


@pytest.fixture
def vendor_callback():
    handler = type("Handler", (Notifications,), {"received": []})
    http = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{http.server_port}/pod-events", handler.received
    http.shutdown()
    http.server_close()


def test_saving_the_form_tells_vendors_who_can_see_the_change(
    server, browser, owner, stored_profile, vendor_callback
):
    url, received = vendor_callback
    pod = PodClient(server.url, VendorKey.generate())
    pending = pod.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [str(SCHEMA.email)]}],
        purpose="https://w3id.org/dpv#ServiceProvision",
        description="to send you your order confirmations",
        duration=dt.timedelta(days=30),
        vendor={"name": "Example Shop"},
        callback=url,
    )
    owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve")
    grant = pending.wait(timeout=10)

    page = Page(browser.get(f"{server.url}/app/data", timeout=10).text)
    sent = replace(page.submission("/app/data/profile"), "email-0", "alex@new.example")
    response = browser.post(f"{server.url}/app/data/profile", data=sent, timeout=10)
    assert "1 vendor that can see it was told it changed." in response.text

    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        time.sleep(0.05)
    told = pod.verify_notification(received[0])
    assert told["type"] == "Update" and told["grant"] == grant.id
    assert told["object"] == f"{server.url}/data/profile"


def test_the_advanced_view_shows_the_stored_turtle(server, browser, stored_profile):
    response = browser.get(f"{server.url}/app/data/turtle", timeout=10)
    assert response.status_code == 200
    assert "schema:email" in response.text and "Alex Example" in response.text
    assert "Nothing saved yet." in response.text  # the preferences


def test_records_vendors_wrote_are_listed_under_their_declared_name_and_readable(
    server, browser, owner
):
    pod = PodClient(server.url, VendorKey.generate())
    own = f"/vendors/{pod.vendor_id}/"
    pending = pod.request_access(
        [{"resource": own, "modes": ["read", "append"]}],
        purpose="https://w3id.org/dpv#ServiceProvision",
        description="to keep your receipts in your pod",
        duration=dt.timedelta(days=30),
        vendor={"name": "Example Shop"},
    )
    owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve")
    grant = pending.wait(timeout=10)
    receipt = (
        "@prefix schema: <https://schema.org/> .\n"
        '<#it> a schema:Order ; schema:name "Receipt 17" ; schema:priceCurrency "GBP" ;'
        ' schema:orderNumber "17" ;'
        ' schema:orderDate "2026-11-23"^^<http://www.w3.org/2001/XMLSchema#date> .'
    )
    pod.append(own, receipt, grant, slug="receipt-17")

    listing = browser.get(f"{server.url}/app/records", timeout=10)
    assert listing.status_code == 200
    assert re.search(r"Example Shop</span>\s*<span class=\"unverified\">unverified", listing.text)
    link = f"/app/records/{pod.vendor_id}/receipt-17"
    assert link in Page(listing.text).links

    record = browser.get(server.url + link, timeout=10)
    assert record.status_code == 200
    shown = Page(record.text)
    assert shown.text["thing-1"].count("Receipt 17") == 1
    assert "Currency" in shown.text["thing-1"]
    assert shown.text["thing-1-title"] == "Receipt"
    assert "<details" in record.text and "schema:name" in record.text
