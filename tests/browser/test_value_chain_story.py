"""Conversations and the customer's own value chain, end to end over loopback:

an offer made through a relay starts a conversation; the customer answers in Chromium; the dealer
answers back through vendor_client, still without knowing the pod. The customer accepts (the
dealer may keep records); the dealer files a receipt and a service visit. The customer shares
the service visit with their insurer in one step; the insurer, told by the pod, reads it and
nothing else. The customer moves house: both vendors that see the address are told, and the
page shows who acknowledged. Revoking the insurer's share stops its next read.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import claim_in_browser, granted, shot, store_sample_profile, submit
from tests.browser.test_intents_story import write_intent
from tests.relay.relay_setup import LiveRelay, Receiver
from vendor_client import AccessDenied, GrantRevoked, RelayClient, VendorKey, send_offer


def _example(name: str):
    """A script of examples/, loaded as a module: the example is what this test runs."""
    path = Path(__file__).resolve().parents[2] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _example("dealer_and_insurer")
Dealer, Insurer = example.Dealer, example.Insurer

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings):
    # The relay and the vendors' callbacks are on this machine.
    return type(settings)(**{**settings.__dict__, "allow_private_callbacks": True})


@pytest.fixture
def relay(loopback_relay):
    return loopback_relay


@pytest.fixture
def dealer_events() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def insurer_events() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


def notices(receiver: Receiver, client, count: int) -> list[dict]:
    received = receiver.wait_for(count, timeout=15)
    assert len(received) >= count, f"{len(received)} notices, not {count}"
    return [client.verify_notification(r.body) for r in received]


def test_a_conversation_a_sale_records_shared_with_an_insurer_and_a_move(
    page: Page, server, relay: LiveRelay, dealer_events: Receiver, insurer_events: Receiver
):
    claim_in_browser(page, server)
    store_sample_profile(server)
    page.goto(f"{server.url}/app/settings")
    page.get_by_label("Relay addresses, one per line").fill(relay.url)
    submit(page, "Save the relays")
    intent_id = write_intent(page, server)
    submit(page, "Publish")

    # -- an offer starts a conversation, through the relay --------------------------------------
    dealer_key = VendorKey.generate()
    [intent] = list(RelayClient(relay.url, dealer_key).intents(category="916", country="GB"))
    sent = send_offer(
        intent,
        dealer_key,
        vendor={"name": "Leeds Motors"},
        summary="2019 Honda Jazz 1.3, automatic, full service history.",
        price="12999.00",
        currency="GBP",
        valid_until=(dt.date.today() + dt.timedelta(days=10)).isoformat(),
        callback=dealer_events.callback,
    )
    thread = sent.thread()
    assert thread.url.startswith(relay.url + "/replies/")
    thread.send("Would you like a test drive on Saturday?")
    assert server.url not in str(thread.read())

    page.goto(f"{server.url}/app/intents/{intent_id}")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Messages 1 new")).to_be_visible()
    nav.get_by_role("link", name="Messages 1 new").click()
    conversation = page.locator("li.thread", has_text="Leeds Motors")
    expect(conversation).to_contain_text("1 new")
    conversation.get_by_role("link").click()
    expect(page.locator("ol.messages")).to_contain_text("Would you like a test drive on Saturday?")
    page.get_by_label("Your answer to Leeds Motors").fill("Saturday at 10 suits me.")
    submit(page, "Send")
    expect(page.locator("ol.messages li.mine")).to_contain_text("Saturday at 10 suits me.")
    expect(nav.get_by_role("link", name="Messages", exact=True)).to_be_visible()  # none unread
    shot(page, "value-chain-thread")

    [answer] = thread.wait_for_reply(timeout=10, after=thread.read().messages[0].id, interval=0.2)
    assert answer.text == "Saturday at 10 suits me."
    thread.send("See you then. Bring your licence.")
    page.reload()
    expect(page.locator("ol.messages li.theirs").last).to_contain_text("Bring your licence.")

    # -- the sale: the customer accepts, the dealer files a receipt and a service visit ---------
    page.goto(f"{server.url}/app/intents/{intent_id}")
    offer = page.locator("article.offer", has_text="Leeds Motors")
    expect(offer.get_by_role("link", name="Conversation with Leeds Motors")).to_be_visible()
    offer.get_by_label("Postal address").check()
    expect(offer.get_by_label("Let them keep records in your pod")).to_be_checked()
    offer.get_by_role("button", name="Accept this offer").click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text("Accepted. Leeds Motors can now see")

    dealer = Dealer(sent.wait(timeout=15, interval=0.2))
    receipt = dealer.file_receipt(
        "SO-1042", dt.date.today(), "2019 Honda Jazz 1.3", "12999.00", "GBP"
    )
    service = dealer.file_service_visit(dt.date.today(), "First service: oil and filters", 31250)
    assert sorted(dealer.records()) == sorted([receipt, service])

    # -- the insurer holds the address; the customer shares the service visit with it ------------
    insurer = Insurer(server.url, VendorKey.generate(), insurer_events.callback)
    insurer.hold(granted(server, insurer.ask_for_address()))
    assert insurer.addresses == ["1 Example Street, Exampleton, EX1 2MP"]

    page.goto(f"{server.url}/app/records")
    dealer_records = page.locator("section.card", has_text="Leeds Motors").first
    dealer_records.get_by_role("link", name="Service visit").click()
    expect(page.locator("main")).to_contain_text("First service: oil and filters")
    share = page.locator("section.share")
    share.get_by_label("Vendor").select_option(label="Safe Roads Insurance")
    share.get_by_role("button", name="Share").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("Safe Roads Insurance")
    shot(page, "value-chain-shared")

    [told] = [n for n in notices(insurer_events, insurer.pod, 1) if n["type"] == "Share"]
    insurer.on_notice(insurer_events.notices[0].body)
    assert insurer.visits == [
        {
            "date": dt.date.today().isoformat(),
            "work": "First service: oil and filters",
            "mileage": 31250,
        }
    ]
    shared = insurer.grants[told["grant"]]
    with pytest.raises(AccessDenied):  # only the visit was shared, not the receipt
        insurer.pod.read(insurer.pod.resource_path(receipt), shared)
    with pytest.raises(AccessDenied):  # and no insurer can write into the dealer's records
        insurer.pod.append(dealer.pod.own_container, "<#x> a <https://schema.org/Thing> .", shared)

    # -- the customer moves: both vendors that see the address are told --------------------------
    dealer_before, insurer_before = len(dealer_events.notices), len(insurer_events.notices)
    page.goto(f"{server.url}/app/data")
    profile = page.locator("section#profile")
    profile.get_by_label("Street address").first.fill("2 New Road")
    profile.get_by_role("button", name="Save your profile").click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text("2 vendors that can see it were told")

    profile_url = f"{server.url}/data/profile"
    for receiver, client, before in (
        (dealer_events, dealer.pod, dealer_before),
        (insurer_events, insurer.pod, insurer_before),
    ):
        told_now = notices(receiver, client, before + 1)[before:]
        assert [(n["type"], n["object"]) for n in told_now] == [("Update", profile_url)]
    insurer.on_notice(insurer_events.notices[-1].body)
    assert insurer.addresses == ["2 New Road, Exampleton, EX1 2MP"]

    page.get_by_role("link", name="See who acknowledged it").click()
    change = page.locator("main .card").first
    expect(change).to_contain_text("Leeds Motors")
    expect(change).to_contain_text("Safe Roads Insurance")
    expect(change.get_by_text("acknowledged")).to_have_count(2)
    shot(page, "value-chain-told")

    # -- revoking the share stops the insurer's next read -----------------------------------------
    page.goto(f"{server.url}/app/grants/{shared.id}/revoke")  # an old link: now the grant page
    expect(page).to_have_url(f"{server.url}/app/grants/{shared.id}#take-back")
    submit(page, "Take back Safe Roads Insurance's access")
    flash = page.locator(".flash")
    expect(flash).to_contain_text("Safe Roads Insurance lost the access you gave them to read")
    expect(flash).to_contain_text("They still have 1 other access.")  # its own, asked for
    assert server.pod.grants.get(shared.id).state == "revoked"
    with pytest.raises(GrantRevoked):
        insurer.pod.read(insurer.pod.resource_path(service), shared)
