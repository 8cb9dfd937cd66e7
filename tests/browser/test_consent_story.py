"""The customer's whole story in the browser, with a real vendor on the other side."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from rdflib import URIRef

import vendor_client
from tests.browser.steps import (
    EMAIL,
    ask_for_email_and_name,
    claim_in_browser,
    new_vendor,
    shot,
    sign_in,
    sign_out,
    store_sample_profile,
    submit,
)
from tests.conftest import claim

pytestmark = pytest.mark.browser

NEW_EMAIL = "alex.new@example.net"


def test_the_whole_story(page, server):

    # Claim the pod with the setup code printed on the console: signed in at once.
    claim_in_browser(page, server)
    expect(page).to_have_url(f"{server.url}/app/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your pod at a glance")
    expect(page.locator(".flash")).to_contain_text("This pod is yours now")

    # Sign out and back in.
    sign_out(page)
    expect(page).to_have_url(f"{server.url}/app/sign-in")
    expect(page.locator(".flash")).to_have_text("You are signed out.")
    page.goto(f"{server.url}/app/")
    expect(page).to_have_url(f"{server.url}/app/sign-in?next=/app/")
    sign_in(page, server)
    expect(page).to_have_url(f"{server.url}/app/")

    # The profile (as if imported) has two emails; the customer keeps one new one.
    store_sample_profile(server)
    edit_profile_email(page, server, NEW_EMAIL)
    stored = server.pod.data.document("/profile").graph
    assert {str(o) for o in stored.objects(None, URIRef(EMAIL))} == {NEW_EMAIL}

    # A vendor asks while the customer looks at the Requests page: the card appears by itself.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Requests").click()
    expect(page.locator("main")).to_contain_text("No vendor is waiting for an answer.")
    page.evaluate("window.stillTheSamePage = true")  # a reload would forget this
    shop = new_vendor(server)
    pending = ask_for_email_and_name(shop, "Example Shop", days=30)
    card = page.locator(f"#request-{pending.id}")
    expect(card).to_be_visible(timeout=10_000)  # pod.js polls every 5 s
    assert page.evaluate("window.stillTheSamePage === true"), "the page was reloaded"
    expect(card.get_by_role("heading")).to_contain_text("Example Shop")
    expect(page.locator("[data-live-notice]")).to_have_text("A new request has arrived.")
    expect(page.locator("[data-pending-count]")).to_have_text("1 waiting")
    shot(page, "story-request-arrived")

    # Share the email only, for a week instead of the 30 days asked.
    card.get_by_label("Full name").uncheck()
    expect(card.get_by_label("Email address")).to_be_checked()
    card.get_by_label("Allow for").select_option(label="1 week")
    card.get_by_role("button", name="Allow what is ticked").click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text("Shared with Example Shop for 1 week, until")
    expect(page.locator("[data-grant-state]")).to_have_text("Can see your data")

    grant = pending.wait(timeout=10)
    assert grant.scopes == [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}]
    left = grant.expires_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=6, hours=23) < left <= dt.timedelta(days=7)
    seen = shop.read("/profile", grant)
    assert {str(p) for _, p, _ in seen} == {EMAIL}
    assert {str(o) for o in seen.objects(None, URIRef(EMAIL))} == {NEW_EMAIL}

    # Activity: the read is in the timeline and the chart has a row for the vendor.
    page.get_by_role("link", name="Activity").click()
    read = page.locator("ol.timeline li.allowed", has_text="Example Shop")
    expect(read).to_have_count(1)
    expect(read).to_contain_text("Example Shop read your profile")
    expect(page.locator("figure.chart .chart-name", has_text="Example Shop")).to_have_count(1)
    expect(page.locator(".chart-bars[aria-label^='Example Shop:']")).to_have_attribute(
        "aria-label", "Example Shop: 1 in 14 days"
    )

    # Open the permission from "Who can see what" and take it back.
    page.get_by_role("link", name="Who can see what").click()
    permission = page.locator("article.card", has_text="Example Shop")
    expect(permission).to_contain_text("Can see your profile (email address)")
    permission.get_by_role("link", name="Details and receipt").click()
    expect(page).to_have_url(f"{server.url}/app/grants/{grant.id}")
    what = page.locator("dt:text-is('What') + dd")
    expect(what).to_have_text("Your profile: Email address")
    # One click; here the customer unticks asking them to delete what they already have.
    page.get_by_label("Also ask them to delete what they already have").uncheck()
    submit(page, "Take back Example Shop's access")
    expect(page).to_have_url(f"{server.url}/app/grants/{grant.id}")
    expect(page.locator(".flash")).to_have_text("Example Shop can no longer see your data.")
    expect(page.locator("[data-grant-state]")).to_have_text("You took it back")
    expect(page.get_by_role("button", name="Take back Example Shop's access")).to_have_count(0)
    taken_back = server.pod.grants.get(grant.id)
    assert taken_back.state == "revoked"
    assert taken_back.deletion_requested_at is None, "the unticked box was not honoured"

    with pytest.raises(vendor_client.GrantRevoked):
        shop.read("/profile", grant)

    page.get_by_role("link", name="Activity").click()
    refused = page.locator("ol.timeline li.refused", has_text="Example Shop")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("Example Shop tried to read your profile")
    expect(refused).to_contain_text("you had taken the permission back")
    expect(page.locator(".chart-bars[aria-label^='Example Shop:']")).to_have_attribute(
        "aria-label", "Example Shop: 2 in 14 days, 1 of them refused"
    )
    shot(page, "story-activity-after-revoke")


def edit_profile_email(page, server, email: str) -> None:
    """Open My data, replace the two stored emails with one, save, and see it shown."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My data").click()
    expect(page).to_have_url(f"{server.url}/app/data")
    profile = page.locator("section#profile")
    first = profile.get_by_label("Email address 1", exact=True)
    expect(first).to_have_value("alex.example@example.org")
    first.fill(email)
    profile.get_by_label("Email address 2", exact=True).fill("")
    profile.get_by_role("button", name="Save your profile").click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text("saved")
    expect(profile.get_by_label("Email address 1", exact=True)).to_have_value(email)
    expect(profile.get_by_label("Email address 2", exact=True)).to_have_value("")


def test_a_new_request_does_not_undo_what_the_customer_unticked(page, server):
    claim(server)
    first = ask_for_email_and_name(new_vendor(server), "Example Shop")
    page.clock.install()  # pod.js's 5 s poll, run on demand
    sign_in(page, server)
    page.goto(f"{server.url}/app/requests")
    card = page.locator(f"#request-{first.id}")
    card.get_by_label("Full name").uncheck()

    second = ask_for_email_and_name(new_vendor(server), "Corner Bakery")
    page.clock.run_for(5_000)
    expect(page.locator(f"#request-{second.id}")).to_be_visible()
    assert not card.get_by_label("Full name").is_checked(), "the unticked box is ticked again"
