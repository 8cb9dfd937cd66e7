"""Standing rules in the browser: say it once, see what the rules decided, undo it in one click."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    ask_for_email_and_name,
    claim_in_browser,
    main_text,
    new_vendor,
    shot,
    store_sample_profile,
    submit,
)
from vendor_client import GrantRevoked

pytestmark = pytest.mark.browser


def add_allow_rule(page: Page, server) -> None:
    page.goto(f"{server.url}/app/rules")
    page.get_by_label("Allow at once, within the limits below, requests for…").check()
    page.get_by_label("Providing the service", exact=False).first.check()
    page.get_by_label("Email address", exact=True).check()
    page.get_by_label("Full name", exact=True).check()
    page.get_by_label("For “allow” rules: for at most (days)").fill("30")
    submit(page, "Add the rule")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_rule_decides_a_request_and_one_click_undoes_it(new_page, server, device):
    page = new_page(device)
    store_sample_profile(server)
    claim_in_browser(page, server)
    add_allow_rule(page, server)
    expect(page.locator(".flash")).to_contain_text("Rule added: Allow vendors to read")
    expect(page.locator("#rules-title ~ ul")).to_contain_text("for at most 30 days")

    vendor = new_vendor(server)
    grant = ask_for_email_and_name(vendor, "Quick Shop").wait(timeout=10)
    assert "@" in vendor.read("/profile", grant).serialize(format="turtle")

    page.goto(f"{server.url}/app/requests")  # where the customer looks first
    expect(page.locator("#rules-digest")).to_contain_text("Quick Shop may read what it asked for")
    expect(page.locator("[data-empty]")).to_be_visible()  # nothing left waiting
    page.get_by_role("link", name="Your standing rules").click()
    digest = page.locator("#rules-digest")
    expect(digest).to_contain_text("Quick Shop may read what it asked for")
    shot(page, "rules-digest")
    digest.get_by_role("button", name="Undo for Quick Shop").click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text("Quick Shop can no longer read")
    expect(page.locator("#rules-digest")).to_contain_text("(undone)")
    with pytest.raises(GrantRevoked):
        vendor.read("/profile", grant)


def test_a_rule_that_cannot_be_is_refused_in_words(page, server, console):
    console.allow_error_pages(400)
    claim_in_browser(page, server)
    page.goto(f"{server.url}/app/rules")
    page.get_by_label("Allow at once, within the limits below, requests for…").check()
    submit(page, "Add the rule")  # no purpose, nothing to read
    error = page.get_by_role("alert")
    expect(error).to_contain_text("purpose")
    assert "You have no rules" in main_text(page)
