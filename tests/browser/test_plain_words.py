"""The page tells the customer exactly what they are agreeing to, in words, not codes."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    ask_for_email_and_name,
    granted,
    new_vendor,
    sign_in,
    store_sample_profile,
)
from tests.conftest import claim

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("days", "words"), [(30, "30 days"), (90, "90 days")])
def test_a_request_says_how_long_exactly_as_the_vendor_asked(page: Page, server, days, words):
    claim(server)
    pending = ask_for_email_and_name(new_vendor(server), days=days)
    sign_in(page, server)
    page.goto(f"{server.url}/app/requests")
    card = page.locator(f"#request-{pending.id}")
    # The page is rendered on the server: read it as it is (expect() would wait for a change).
    assert card.locator("dt:text-is('For how long') + dd").inner_text() == words
    chosen = card.get_by_label("Allow for").locator("option:checked").inner_text()
    assert chosen == f"{words} (as asked)"


def test_the_uses_of_a_permission_are_told_in_words(page: Page, server):
    claim(server)
    store_sample_profile(server)
    shop = new_vendor(server)
    grant = granted(server, ask_for_email_and_name(shop))
    shop.read("/profile", grant)
    sign_in(page, server)
    page.goto(f"{server.url}/app/grants/{grant.id}")
    uses = page.get_by_role("heading", name="Uses of this permission").locator("+ ul")
    expect(uses.locator("li")).to_have_count(2)
    told = uses.inner_text()
    assert "data.read" not in told and "request.approve" not in told, told
    assert "You allowed access for Example Shop" in told, told
