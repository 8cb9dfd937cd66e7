"""My data: forms made from the shapes, and the page that edits the stored documents with them.

The form tests run on the shapes alone; the page tests drive the real server over HTTP, signed
in through the sign-in page like a person, and check the stored documents through the data API.
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
from rdflib.compare import isomorphic
from rdflib.namespace import SH

from pds import schemas
from pds.resources import ShapeViolation, rdf, validation
from pds.server.web import forms
from tests.conftest import PASSWORD
from tests.server.test_data_api import stored_bytes
from vendor_client import PodClient, VendorKey

SCHEMA = Namespace("https://schema.org/")
PDS = schemas.VOCAB
BASE = "http://127.0.0.1:8000"
PROFILE_IRI = f"{BASE}/data/profile"
PREFERENCES_IRI = f"{BASE}/data/preferences"
TURTLE = {"Content-Type": "text/turtle"}
XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")


def sample(path: str) -> Graph:
    return rdf.parse(schemas.sample_documents()[path].encode(), rdf.TURTLE, f"{BASE}/data{path}")


def save_form(path: str, values: dict, stored: Graph) -> Graph:
    return forms.graph_from_values(
        forms.form_model(path), values, stored, f"{BASE}/data{path}"
    ).graph


# -- the form model ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/profile", "/preferences"])
def test_form_has_every_field_of_the_shape_in_order_with_its_name_and_help(path):
    shapes = schemas.shapes_graph()
    shape = schemas.shape_for_path(path)
    properties = sorted(
        shapes.objects(shape, SH.property), key=lambda p: int(shapes.value(p, SH.order))
    )
    model = forms.form_model(path)
    assert [(f.predicate, f.label, f.help) for f in model.fields] == [
        (
            shapes.value(p, SH.path),
            str(shapes.value(p, SH.name)),
            str(shapes.value(p, SH.description)),
        )
        for p in properties
    ]


def test_profile_fields_have_the_kind_count_and_checks_of_their_shape():
    fields = {f.key: f for f in forms.form_model("/profile").fields}
    assert fields["name"].kind == "text" and fields["name"].required
    assert not fields["name"].repeating and fields["name"].max_length == 200
    assert fields["email"].repeating and not fields["email"].required
    assert fields["birthDate"].kind == "date" and not fields["birthDate"].repeating
    address = fields["address"]
    assert (
        address.kind == "group" and address.repeating and address.node_type == SCHEMA.PostalAddress
    )
    assert [(s.key, s.label) for s in address.subfields] == [
        ("streetAddress", "Street address"),
        ("addressLocality", "Town or city"),
        ("postalCode", "Postcode"),
        ("addressRegion", "County, state or region"),
        ("addressCountry", "Country"),
    ]


def test_preferences_offer_channels_by_their_plain_names_and_prices_as_decimals():
    fields = {f.key: f for f in forms.form_model("/preferences").fields}
    channels = fields["acceptsChannel"]
    assert channels.kind == "choice"
    assert [c.label for c in channels.choices] == [
        "Email",
        "Phone call",
        "Text message (SMS)",
        "Post",
        "Pod inbox",
    ]
    assert fields["doNotContact"].kind == "checkbox"
    budget = {s.key: s for s in fields["budget"].subfields}
    assert budget["minPrice"].kind == "number" and budget["minPrice"].step == "0.01"
    assert budget["minPrice"].minimum == "0"
    assert budget["category"].required
    assert fields["size"].node_type == PDS.SizePreference


def test_patterns_become_html_patterns_only_where_browsers_read_them_the_same_way():
    fields = {f.key: f for f in forms.form_model("/profile").fields}
    assert fields["email"].pattern == r"[^@ \t\n\r]+@[^@ \t\n\r]+\.[^@ \t\n\r]+"
    assert fields["telephone"].pattern == r"\+?[0-9 \(\)\-]+"
    assert fields["knowsLanguage"].pattern == "[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*"
    assert forms.html_pattern("^[A-Z]{2}$") == "[A-Z]{2}"
    assert forms.html_pattern("[A-Z]{2}") is None  # unanchored: a browser would be stricter
    assert forms.html_pattern("^a|b$") is None  # the anchors would bind differently
    assert forms.html_pattern("^(?=a).*$") is None
    assert forms.html_pattern("^[a-z-[aeiou]]+$") is None  # XPath class subtraction
    assert forms.html_pattern("^(en|fr)$") == "(en|fr)"
    assert forms.html_pattern("^[a-z]+$", flags="i") is None


# -- graph -> form values -> graph -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/profile", "/preferences"])
def test_a_sample_document_comes_back_unchanged_through_its_form(path):
    stored = sample(path)
    model = forms.form_model(path)
    values = forms.values_from_graph(model, stored, f"{BASE}/data{path}")
    assert isomorphic(save_form(path, values, stored), stored)


def test_the_form_shows_each_stored_value_under_its_input_name():
    values = forms.values_from_graph(
        forms.form_model("/preferences"), sample("/preferences"), PREFERENCES_IRI
    )
    assert values["acceptsChannel"] == [str(PDS.ChannelEmail), str(PDS.ChannelInbox)]
    assert values["doNotContact-present"] == ["1"] and "doNotContact" not in values
    assert [values[f"interest-{i}"] for i in range(3)] == [["cooking"], ["cycling"], ["jazz"]]
    assert values["budget-1-category"] == ["groceries"]
    assert values["budget-1-maxPrice"] == ["120.00"] and "budget-1-minPrice" not in values


def test_changing_one_email_changes_only_that_value():
    stored = sample("/profile")
    values = forms.values_from_graph(forms.form_model("/profile"), stored, PROFILE_IRI)
    values["email-1"] = ["alex@new.example"]
    saved = save_form("/profile", values, stored)
    me = URIRef(PROFILE_IRI + "#me")
    assert set(saved.objects(me, SCHEMA.email)) == {
        Literal("alex.example@example.org"),
        Literal("alex@new.example"),
    }
    assert len(saved) == len(stored)


def test_data_the_form_does_not_show_is_kept():
    stored = sample("/profile")
    me, home = URIRef(PROFILE_IRI + "#me"), URIRef(PROFILE_IRI + "#home")
    extra = [
        (me, SCHEMA.jobTitle, Literal("Cook")),
        (home, SCHEMA.name, Literal("Home")),
        (URIRef(PROFILE_IRI + "#cat"), SCHEMA.name, Literal("Tibbles")),
    ]
    for triple in extra:
        stored.add(triple)
    values = forms.values_from_graph(forms.form_model("/profile"), stored, PROFILE_IRI)
    values["address-0-postalCode"] = ["EX9 9ZZ"]
    saved = save_form("/profile", values, stored)
    for triple in extra:
        assert triple in saved
    assert saved.value(home, SCHEMA.postalCode) == Literal("EX9 9ZZ")
    assert (home, RDF.type, SCHEMA.PostalAddress) in saved


def test_empty_rows_are_ignored():
    stored = sample("/preferences")
    values = forms.values_from_graph(forms.form_model("/preferences"), stored, PREFERENCES_IRI)
    values.update(
        {
            "interest-3": [""],
            "interest-4": ["   "],
            "budget-2-category": [""],
            "budget-2-minPrice": [""],
            "size-2-garment": [""],
        }
    )
    assert isomorphic(save_form("/preferences", values, stored), stored)


def test_a_new_row_becomes_a_typed_node_of_the_document_with_typed_values():
    stored = sample("/preferences")
    values = forms.values_from_graph(forms.form_model("/preferences"), stored, PREFERENCES_IRI)
    values.update(
        {
            "budget-2-category": ["books"],
            "budget-2-maxPrice": ["30.5"],
            "budget-2-priceCurrency": ["EUR"],
            "doNotContact": ["true"],
        }
    )
    saved = save_form("/preferences", values, stored)
    new = URIRef(PREFERENCES_IRI + "#budget-1")
    assert (URIRef(PREFERENCES_IRI + "#prefs"), PDS.budget, new) in saved
    assert (new, RDF.type, PDS.BudgetRange) in saved
    assert saved.value(new, SCHEMA.maxPrice) == Literal("30.5", datatype=XSD_DECIMAL)
    assert saved.value(URIRef(PREFERENCES_IRI + "#prefs"), PDS.doNotContact) == Literal(True)
    validation.validate(saved, "/preferences")


def test_a_removed_row_takes_its_node_with_it():
    stored = sample("/profile")
    values = forms.values_from_graph(forms.form_model("/profile"), stored, PROFILE_IRI)
    values["address-0-remove"] = ["1"]
    saved = save_form("/profile", values, stored)
    assert (URIRef(PROFILE_IRI + "#home"), None, None) not in saved
    assert (None, SCHEMA.address, None) not in saved


def test_an_empty_form_for_a_new_document_makes_just_the_typed_main_node():
    saved = save_form("/preferences", {}, Graph())
    assert set(saved) == {(URIRef(PREFERENCES_IRI + "#prefs"), RDF.type, PDS.Preferences)}


def test_refused_values_are_placed_next_to_the_input_they_came_from():
    stored = sample("/preferences")
    model = forms.form_model("/preferences")
    values = forms.values_from_graph(model, stored, PREFERENCES_IRI)
    values.update(
        {
            "interest-1": ["x" * 201],
            "budget-2-category": ["books"],
            "budget-2-priceCurrency": ["eur"],
        }
    )
    built = forms.graph_from_values(model, values, stored, PREFERENCES_IRI)
    with pytest.raises(ShapeViolation) as refused:
        validation.validate(built.graph, "/preferences")
    problems = forms.place_violations(model, built, values, refused.value.violations)
    targets = {p.target: p.text for p in problems}
    assert targets["interest-1"] == "Write each interest as text of 1 to 200 characters."
    assert targets["budget-2-priceCurrency"].startswith("Give the currency once")
    assert targets["budget-2"].startswith("One of your budgets has a mistake")

    view = forms.form_view(model, values, "etag", problems)
    interests = next(f for f in view.fields if f.field.key == "interest")
    bad = next(c for c in interests.controls if c.name == "interest-1")
    assert bad.value == "x" * 201 and bad.described_by.startswith("preferences-interest-1-error")
    assert (
        "Interests: Write each interest as text of 1 to 200 characters.",
        "preferences-interest-1",
    ) in view.summary


def test_a_problem_on_a_blank_nested_node_is_placed_on_its_row():
    stored = rdf.parse(
        b"""@prefix pds: <https://w3id.org/vrm-pod/ns#> .
        <#prefs> a pds:Preferences ; pds:size [ a pds:SizePreference ;
            pds:garment "shoes" ; pds:sizeValue "42" ; pds:note "wide fit" ] .""",
        rdf.TURTLE,
        PREFERENCES_IRI,
    )
    model = forms.form_model("/preferences")
    values = forms.values_from_graph(model, stored, PREFERENCES_IRI)
    values["size-0-garment"] = [""]
    built = forms.graph_from_values(model, values, stored, PREFERENCES_IRI)
    assert (None, PDS.note, Literal("wide fit")) in built.graph  # the same node, kept
    with pytest.raises(ShapeViolation) as refused:
        validation.validate(built.graph, "/preferences")
    problems = forms.place_violations(model, built, values, refused.value.violations)
    # A blank node has no name to report the row by: "one of your sizes" goes on the field.
    assert {p.target for p in problems} == {"size-0-garment", "size"}
    view = forms.form_view(model, values, "etag", problems)
    assert [target for _, target in view.summary] == ["preferences-size-0-garment"]


# -- the page over HTTP ------------------------------------------------------------------------


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
        '<#it> a schema:Order ; schema:name "Receipt 17" ; schema:priceCurrency "GBP" .'
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
    assert "Price currency" in shown.text["thing-1"]
    assert shown.text["thing-1-title"] == "Order"
    assert "<details" in record.text and "schema:name" in record.text
