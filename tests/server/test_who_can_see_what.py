"""Who can see what, per vendor, over HTTP as a browser without JavaScript: how each access was
used, time left, taking back (asking for deletion) and shortening in one form post, the readable
receipt and the vendor's page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests

from tests.server.test_my_data_page import Page, signed_in
from vendor_client import GrantRevoked

DAY = 86400


@pytest.fixture
def browser(server, owner) -> requests.Session:
    return signed_in(server)


def words(html: str) -> str:
    """The page's text as a reader sees it: tags dropped, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def one_click(browser, server, page_path: str, action: str, **extra) -> requests.Response:
    """Submit the form posting to `action` as found on `page_path`, with its ticks unchanged."""
    page = Page(browser.get(f"{server.url}{page_path}", timeout=10).text)
    sent = [*page.submission(action), *extra.items()]
    return browser.post(f"{server.url}{action}", data=sent, timeout=10)


def test_each_access_shows_its_last_read_reads_this_week_and_the_fields_read(
    server, browser, reader
):
    for _ in range(3):
        reader.client.read("/profile", reader.grant)

    shown = words(browser.get(f"{server.url}/app/grants", timeout=10).text)

    assert "Reads this week 3" in shown
    assert "What they read this week Email address" in shown
    (use,) = server.pod.activity.grant_uses([reader.grant.id]).values()
    assert use.reads_this_week == 3 and use.fields_read == ["Email address"]
    assert f"Last read {_local(use.last_read)}" in shown
    assert "Time left 24 hours left" in shown and "ends soon" in shown


def test_an_access_not_used_yet_says_so(server, browser, reader):
    shown = words(browser.get(f"{server.url}/app/grants/{reader.grant.id}", timeout=10).text)

    assert "Last read Not read yet" in shown
    assert "Reads this week 0" in shown
    assert "What they read this week nothing" in shown


def test_taking_back_is_one_form_post_that_also_asks_for_deletion(server, browser, reader):
    action = f"/app/grants/{reader.grant.id}/revoke"
    answer = one_click(browser, server, "/app/grants", action)

    assert answer.status_code == 200
    assert "can no longer see your data. They were asked to delete what they hold." in answer.text
    grant = server.pod.grants.get(reader.grant.id)
    assert grant.state == "revoked" and grant.deletion_requested_at is not None
    with pytest.raises(GrantRevoked):
        reader.client.read("/profile", reader.grant)
    assert "deletion asked" in words(answer.text)


def test_unticking_deletion_takes_back_without_asking(server, browser, reader):
    page = Page(browser.get(f"{server.url}/app/grants/{reader.grant.id}", timeout=10).text)
    action = f"/app/grants/{reader.grant.id}/revoke"
    sent = [(n, v) for n, v in page.submission(action) if n != "delete"]

    answer = browser.post(f"{server.url}{action}", data=sent, timeout=10)

    grant = server.pod.grants.get(reader.grant.id)
    assert grant.state == "revoked" and grant.deletion_requested_at is None
    assert "asked to delete" not in answer.text
    # Still possible afterwards, once, from the grant's page.
    asked = one_click(browser, server, f"/app/grants/{reader.grant.id}", f"{action[:-7]}/deletion")
    assert "was asked to delete what it holds" in asked.text
    assert server.pod.grants.get(reader.grant.id).deletion_requested_at is not None
    assert 'data-deletion="asked"' in asked.text


def test_the_old_confirmation_address_leads_to_the_one_click_form(server, browser, reader):
    answer = browser.get(
        f"{server.url}/app/grants/{reader.grant.id}/revoke", allow_redirects=False, timeout=10
    )

    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/app/grants/{reader.grant.id}#take-back")
    assert server.pod.grants.get(reader.grant.id).state == "active"


def test_shortening_in_one_click_moves_the_end_to_the_time_chosen(server, browser, reader, owner):
    # A 30-day access, so that every shorter end is offered.
    long = _granted_for(server, owner, reader, days=30)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)  # ends are kept to the second
    answer = one_click(
        browser, server, "/app/grants", f"/app/grants/{long.id}/shorten", seconds=str(DAY)
    )

    assert "can see your data for 1 day more, no longer." in answer.text
    end = server.pod.grants.get(long.id).expires_at
    assert before + dt.timedelta(days=1) <= end <= before + dt.timedelta(days=1, seconds=30)
    assert "Time left 24 hours left" in words(
        browser.get(f"{server.url}/app/grants/{long.id}", timeout=10).text
    )


@pytest.mark.parametrize("seconds", ["5", "-3600", "86400.5", "", "99999999999999999999"])
def test_a_shorter_end_not_offered_is_refused_and_nothing_changes(server, browser, reader, seconds):
    end = server.pod.grants.get(reader.grant.id).expires_at
    answer = one_click(
        browser, server, "/app/grants", f"/app/grants/{reader.grant.id}/shorten", seconds=seconds
    )

    assert answer.status_code == 400
    assert "Choose one of the shorter times offered." in answer.text
    assert server.pod.grants.get(reader.grant.id).expires_at == end


def test_only_ends_earlier_than_the_current_one_are_offered(server, browser, reader):
    html = browser.get(f"{server.url}/app/grants/{reader.grant.id}", timeout=10).text

    offered = re.findall(r'name="seconds" value="(\d+)"', html)
    assert offered == ["3600"]  # a one-day access can end in an hour, not in a day or a week


def test_the_readable_receipt_says_what_was_agreed_in_words(server, browser, reader):
    html = browser.get(f"{server.url}/app/grants/{reader.grant.id}/receipt", timeout=10).text
    shown = words(html)
    receipt = server.pod.grants.get(reader.grant.id).receipt_claims()

    assert "Consent receipt" in shown
    assert f"Receipt number {receipt['consentReceiptID']}" in shown
    assert "Your profile: Email address" in shown
    assert f"Issued by The personal data pod at {server.url}" in shown  # folded away
    assert "data-print hidden" in html  # the print button needs JavaScript: hidden without


def test_the_vendor_page_lists_every_access_the_vendor_was_given(server, browser, reader, owner):
    second = _granted_for(server, owner, reader, days=30)
    server.pod.grants.revoke(reader.grant.id)

    shown = words(browser.get(f"{server.url}/app/vendors/{reader.id}", timeout=10).text)

    assert shown.count("Details and receipt") == 2
    assert "you took it back" in shown and "can see your data" in shown
    assert f'take-back-{second.id}"' in browser.get(f"{server.url}/app/vendors/{reader.id}").text


@pytest.mark.parametrize("vendor_id", ["x" * 43, "not an id", "%00", "a" * 200])
def test_a_vendor_never_given_access_has_no_page(server, browser, vendor_id):
    answer = browser.get(f"{server.url}/app/vendors/{vendor_id}", timeout=10)

    assert answer.status_code == 404
    assert "No vendor with this id was ever given access to your data." in answer.text


def test_the_home_page_reminds_of_an_access_ending_within_a_week(server, browser, reader):
    shown = words(browser.get(f"{server.url}/app/", timeout=10).text)

    assert "Ending within a week" in shown
    assert re.search(r"Hostile Shop: providing the service ?, 24 hours left", shown)


def _granted_for(server, owner, vendor, *, days: int):
    pending = vendor.client.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": ["https://schema.org/email"]}],
        purpose="https://w3id.org/dpv#ServiceProvision",
        description="to send you receipts",
        duration=dt.timedelta(days=days),
        vendor={"name": "Hostile Shop"},
    )
    approved = owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve")
    assert approved.status_code == 201, approved.text
    return pending.wait(timeout=5)


def _local(at: dt.datetime) -> str:
    return f"{at.astimezone(dt.UTC):%-d %b %Y, %H:%M} UTC"
