"""The records page: each record in plain words, and the form that shares a record (or all of a
vendor's records) with another vendor, without JavaScript, CSRF-protected. The real server on
loopback, on both backends, the customer signed in like a person."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
import requests

from tests.server.records_setup import (
    RECEIPT,
    append,
    counts,
    known,
    wait_for,
)
from tests.server.test_my_data_page import Page, signed_in
from tests.server.vendor_setup import (
    PURPOSE,
)


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)  # vendors on loopback


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
    received = insurer_callback.notices
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
    assert insurer.client.verify_notification(received[0].body)["grant"] == grant_id


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
