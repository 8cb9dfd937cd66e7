"""The personal RFP end to end, over loopback: the customer chooses a relay and publishes a car
intent in Chromium; three dealers subscribed to cars in that region learn of it through the
relay, none learning the customer or the pod; they send offers through the relay; the customer
compares them, accepts one and shares a name and an email; that dealer reads them with its
grant; the two others are told no; the intent closes and the relay forgets it."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import claim_in_browser, store_sample_profile, submit
from tests.browser.test_intents_story import write_intent
from tests.relay.relay_setup import LiveRelay, Receiver
from vendor_client import RelayClient, VendorKey, send_offer
from vendor_client.errors import ProtocolError

pytestmark = pytest.mark.browser

DEALERS = (("Leeds Motors", "12999.00"), ("York Cars", "13450.00"), ("Hull Autos", "11800.00"))


@pytest.fixture
def settings(settings):
    # The relay and the dealers' callbacks are on this machine.
    return type(settings)(**{**settings.__dict__, "allow_private_callbacks": True})


@pytest.fixture
def relay(loopback_relay):
    return loopback_relay


@pytest.fixture
def callbacks() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


def test_an_intent_reaches_dealers_through_a_relay_and_one_offer_is_accepted(
    page: Page, server, relay: LiveRelay, callbacks: Receiver
):
    dealers = {name: RelayClient(relay.url, VendorKey.generate()) for name, _ in DEALERS}
    for client in dealers.values():
        client.subscribe(["916"], callbacks.callback, countries=["GB"])
    elsewhere = RelayClient(relay.url, VendorKey.generate())
    elsewhere.subscribe(["916"], callbacks.callback, countries=["FR"])  # told nothing

    claim_in_browser(page, server)
    store_sample_profile(server)
    page.goto(f"{server.url}/app/settings")
    page.get_by_label("Relay addresses, one per line").fill(relay.url)
    submit(page, "Save the relays")
    intent_id = write_intent(page, server)
    submit(page, "Publish")
    expect(page.get_by_text(f"{relay.url}: announced")).to_be_visible()

    notices = callbacks.wait_for(len(dealers), timeout=10)
    assert len(notices) == len(dealers)
    for notice in notices:  # each for one dealer, signed by the relay, readable by it alone
        readers = []
        for client in dealers.values():
            with contextlib.suppress(ProtocolError):
                readers.append(client.verify_notice(notice.body)["name"])
        assert readers == ["A small reliable car"]

    sent = {}
    for name, price in DEALERS:
        [intent] = list(dealers[name].intents(category="916", country="GB"))
        text = json.dumps(intent)
        assert server.url not in text and "Alex" not in text  # no pod, no customer
        assert intent["reply_to"].startswith(relay.url + "/replies/")
        sent[name] = send_offer(
            intent,
            dealers[name].key,
            vendor={"name": name},
            summary=f"{name}: a 2019 hatchback, automatic.",
            price=price,
            currency="GBP",
            valid_until=(dt.date.today() + dt.timedelta(days=10)).isoformat(),
        )
        assert sent[name].status_url.startswith(relay.url + "/replies/")
        assert sent[name].status()["status"] == "received"

    page.goto(f"{server.url}/app/intents/{intent_id}")
    offers = page.locator("article.offer")
    expect(offers).to_have_count(3)
    hull = offers.filter(has_text="Hull Autos")
    hull.get_by_label("Say no to the other offers").check()
    hull.get_by_role("button", name="Accept this offer").click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text("Accepted. Hull Autos can now see")

    decision = sent["Hull Autos"].wait(timeout=15, interval=0.2)
    assert decision.accepted and decision.pod is not None and decision.grant is not None
    assert decision.pod.pod_url == server.url  # learnt only now
    profile = decision.pod.read("/profile", decision.grant)
    shared = {str(p).rsplit("/", 1)[1] for p in profile.predicates()}
    assert {"name", "email"} <= shared and "telephone" not in shared
    for name in ("Leeds Motors", "York Cars"):
        assert sent[name].wait(timeout=10, interval=0.2).status == "declined"

    page.goto(f"{server.url}/app/intents/{intent_id}")
    submit(page, "Close for good")
    expect(page.get_by_text(f"{relay.url}: withdrawn")).to_be_visible()
    assert list(elsewhere.intents(category="916")) == []
    assert relay.rows("relay_announcements") == []
    # The decision stays readable through the relay after it forgot the intent.
    assert sent["Hull Autos"].status()["status"] == "accepted"
