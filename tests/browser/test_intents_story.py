"""The personal RFP in Chromium: the customer writes an intent in the page, checks what vendors
will see, publishes it; three dealers answer through vendor_client; the customer compares the
offers side by side, accepts one for a name and an email and says no to the others."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import PHONE_WIDTH, claim_in_browser, shot, store_sample_profile, submit
from tests.browser.test_accessibility import blocking_violations
from vendor_client import VendorKey, send_offer

pytestmark = pytest.mark.browser

CARS = "Vehicles & Parts > Vehicles > Motor Vehicles > Cars, Trucks & Vans"
DEALERS = (("Leeds Motors", "12999.00"), ("York Cars", "13450.00"), ("Hull Autos", "11800.00"))


def write_intent(page: Page, server) -> str:
    page.goto(f"{server.url}/app/intents")
    page.get_by_label("What you want").fill("A small reliable car")
    page.get_by_label("Kind of thing").select_option(label=CARS)
    page.get_by_label("More about it").fill("Five doors, for town driving.")
    page.get_by_label("Must haves, one per line").fill("automatic gearbox\nfull service history")
    page.get_by_label("Highest price").fill("15000")
    page.get_by_label("Currency, like GBP").fill("GBP")
    page.get_by_label("Town or city").fill("Leeds")
    page.get_by_label("Country code, like GB").fill("GB")
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    page.get_by_label("Last day for offers").fill(until)
    submit(page, "Save, then check it")
    return page.url.rsplit("/", 1)[1]


def test_the_customer_publishes_an_intent_compares_offers_and_accepts_one(page: Page, server):
    claim_in_browser(page, server)
    store_sample_profile(server)

    intent_id = write_intent(page, server)
    shown = page.get_by_role("region", name="What vendors will see")
    expect(shown).to_contain_text("A small reliable car")
    expect(shown).to_contain_text("up to 15000 GBP")
    expect(shown).to_contain_text("Leeds GB")
    expect(shown).not_to_contain_text("Alex")  # the profile's name: never published
    submit(page, "Publish")
    expect(page.locator(".flash")).to_contain_text("Published")

    published = server.pod.intents.get(intent_id).published  # what a relay hands vendors
    sent = {}
    for name, price in DEALERS:
        summary = f"{name}: 2019 hatchback, automatic.\n<script>alert('{name}')</script>"
        sent[name] = send_offer(
            published,
            VendorKey.generate(),
            vendor={"name": name},
            summary=summary,
            price=price,
            currency="GBP",
            valid_until=(dt.date.today() + dt.timedelta(days=10)).isoformat(),
        )

    page.reload()
    offers = page.locator("article.offer")
    expect(offers).to_have_count(3)
    expect(page.get_by_role("heading", name="Offers (3)")).to_be_visible()
    expect(offers.nth(2)).to_contain_text("11800.00 GBP")
    expect(offers.nth(2)).to_contain_text("<script>alert('Hull Autos')</script>")  # as text
    shot(page, "intent-offers")
    assert blocking_violations(page) == []

    hull = offers.filter(has_text="Hull Autos")
    hull.get_by_label("Phone number").check()
    hull.get_by_label("Phone number").uncheck()
    hull.get_by_label("Say no to the other offers").check()
    hull.get_by_role("button", name="Accept this offer").click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text("Accepted. Hull Autos can now see")

    decision = sent["Hull Autos"].wait(timeout=15, interval=0.2)
    assert decision.accepted and decision.pod and decision.grant
    profile = decision.pod.read("/profile", decision.grant)
    assert {str(p).rsplit("/", 1)[1] for p in profile.predicates()} >= {"name", "email"}
    assert "telephone" not in {str(p).rsplit("/", 1)[1] for p in profile.predicates()}
    for name in ("Leeds Motors", "York Cars"):
        assert sent[name].wait(timeout=10, interval=0.2).status == "declined"

    page.goto(f"{server.url}/app/intents/{intent_id}")
    expect(page.locator("article.offer.declined")).to_have_count(2)
    submit(page, "Close for good")
    expect(page.locator(".state.closed").first).to_be_visible()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_intent_pages_are_accessible_and_fit_a_phone(new_page, server, device):
    page = new_page(device)
    claim_in_browser(page, server)
    intent_id = write_intent(page, server)
    submit(page, "Publish")
    published = server.pod.intents.get(intent_id).published
    send_offer(
        published,
        VendorKey.generate(),
        vendor={"name": "A dealer with a rather long name that wraps on phones"},
        summary="x" * 300,
        price="12999.00",
        currency="GBP",
        valid_until=(dt.date.today() + dt.timedelta(days=10)).isoformat(),
        link="https://dealer.example/a/very/long/path/that/should/wrap/and/never/overflow/ok",
    )
    for name, path in (("intents", "/app/intents"), ("intent", f"/app/intents/{intent_id}")):
        page.goto(server.url + path)
        shot(page, name)
        assert blocking_violations(page) == [], name
        width = page.evaluate("document.documentElement.scrollWidth")
        if device == "phone":
            assert width <= PHONE_WIDTH, f"{name} scrolls sideways: {width} px"


def test_a_refused_intent_form_keeps_what_was_typed_and_says_why(page: Page, server, console):
    console.allow_error_pages(400)
    claim_in_browser(page, server)
    page.goto(f"{server.url}/app/intents")
    page.get_by_label("What you want").fill("A bicycle")
    page.get_by_label("Kind of thing").select_option(index=3)
    page.get_by_label("Currency, like GBP").fill("GB1")  # refused by the shape, not the browser
    page.evaluate("document.querySelector('form.stack').noValidate = true")
    submit(page, "Save, then check it")

    expect(page.locator("#intent-problem")).to_contain_text("currency")
    expect(page.get_by_label("What you want")).to_have_value("A bicycle")
    assert server.pod.intents.all() == []


def test_a_draft_is_changed_in_the_page_before_it_is_published(page: Page, server):
    claim_in_browser(page, server)
    intent_id = write_intent(page, server)
    form = page.get_by_role("region", name="Change it before you publish")
    expect(form.get_by_label("What you want")).to_have_value("A small reliable car")
    expect(form.get_by_label("Highest price")).to_have_value("15000")

    form.get_by_label("What you want").fill("A small electric car")
    form.get_by_label("Highest price").fill("18000")
    submit(page, "Save the changes")

    shown = page.get_by_role("region", name="What vendors will see")
    expect(shown).to_contain_text("A small electric car")
    expect(shown).to_contain_text("up to 18000 GBP")
    submit(page, "Publish")
    expect(page.get_by_role("region", name="Change it before you publish")).to_have_count(0)
    assert server.pod.intents.get(intent_id).published["name"] == "A small electric car"
