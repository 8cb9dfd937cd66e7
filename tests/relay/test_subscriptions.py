"""Vendors subscribe to categories and countries with their key, and are told of each new
intent that matches by a notice the relay signs: it verifies against the relay's JWKS, names
the vendor's key, and carries the intent with the relay's reply address. Failed deliveries are
retried with the same notice; cancelled subscriptions are told nothing more."""

from __future__ import annotations

import datetime as dt
import time

import jwt
import pytest
import requests

from pds.relay import RelayLimits
from tests.relay.relay_setup import JWT, LAPTOP, LiveRelay, intent, signed
from vendor_client import VendorKey

FORWARD_TO = "http://127.0.0.1:9/replies/pod-secret-token"


def verified(relay: LiveRelay, notice: bytes, vendor: VendorKey) -> dict:
    """A notice checked as docs/relay.md §6.5 tells vendors to check it."""
    token = notice.decode("ascii")
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "intent-notice+jwt"
    keys = requests.get(f"{relay.url}/.well-known/jwks.json", timeout=10).json()["keys"]
    [key] = [k for k in keys if k["kid"] == header["kid"]]
    return jwt.decode(
        token,
        jwt.PyJWK(key).key,
        algorithms=["EdDSA"],
        audience=vendor.thumbprint,
        issuer=relay.url,
        options={"require": ["iss", "aud", "iat", "jti"]},
    )


def test_a_subscriber_is_told_of_a_matching_intent_by_a_notice_signed_by_the_relay(relay, receiver):
    vendor = VendorKey.generate()
    subscribed = relay.subscribe(vendor, ["5614"], receiver.callback, countries=["GB", "IE"])
    assert subscribed.status_code == 201, subscribed.text
    made = subscribed.json()
    assert made["vendor_id"] == vendor.thumbprint
    assert made["categories"] == ["5614"] and made["countries"] == ["GB", "IE"]
    assert made["cancel_url"] == f"{relay.url}/subscriptions/{made['id']}/cancel"

    car = intent(relay.clock)
    announced = relay.announce(VendorKey.generate(), car, FORWARD_TO).json()

    [notice] = receiver.wait_for(1)
    assert notice.headers["Content-Type"] == "application/jwt"
    claims = verified(relay, notice.body, vendor)
    assert claims["subscription"] == made["id"]
    assert claims["intent"] == {**car, "reply_to": announced["reply_to"]}
    assert claims["intent"] == relay.feed().json()["orderedItems"][0]
    assert "pod-secret-token" not in notice.body.decode()
    deadline = time.monotonic() + 5
    while relay.rows("relay_outbox") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert relay.rows("relay_outbox") == []  # delivered: nothing kept


def test_only_matching_subscriptions_are_told(relay, receiver):
    cars_anywhere, cars_in_france, laptops = (VendorKey.generate() for _ in range(3))
    relay.subscribe(cars_anywhere, ["916"], receiver.callback)
    relay.subscribe(cars_in_france, ["916"], receiver.callback, countries=["FR"])
    relay.subscribe(laptops, ["222"], receiver.callback)

    relay.announce(VendorKey.generate(), intent(relay.clock, country="GB"), FORWARD_TO)
    relay.announce(
        VendorKey.generate(), intent(relay.clock, category=LAPTOP, country=None), FORWARD_TO
    )
    notices = receiver.wait_for(2)
    time.sleep(0.3)  # and nothing else arrives

    told = sorted(
        jwt.decode(n.body, options={"verify_signature": False})["aud"] for n in receiver.notices
    )
    assert len(notices) == 2
    assert told == sorted([cars_anywhere.thumbprint, laptops.thumbprint])


def test_a_cancelled_subscription_is_told_nothing_more(relay, receiver):
    vendor = VendorKey.generate()
    made = relay.subscribe(vendor, ["916"], receiver.callback).json()

    def cancel(key: VendorKey):
        token = signed(
            key, "relay-unsubscribe+jwt", relay.url, relay.clock, subscription=made["id"]
        )
        return requests.post(made["cancel_url"], data=token, headers=JWT, timeout=10)

    other = cancel(VendorKey.generate())
    assert other.status_code == 403
    assert other.json()["type"].endswith("#wrong-key")
    assert len(relay.rows("relay_subscriptions")) == 1

    assert cancel(vendor).status_code == 204
    relay.announce(VendorKey.generate(), intent(relay.clock), FORWARD_TO)
    time.sleep(0.3)

    assert receiver.notices == []
    assert relay.rows("relay_subscriptions") == []
    assert relay.rows("relay_outbox") == []


def test_a_failed_notice_is_resent_unchanged_after_the_retry_delay(relay, receiver, clock):
    receiver.answer = 500
    vendor = VendorKey.generate()
    relay.subscribe(vendor, ["916"], receiver.callback)
    relay.announce(VendorKey.generate(), intent(clock), FORWARD_TO)
    [first] = receiver.wait_for(1)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and relay.rows("relay_outbox")[0]["attempts"] == 0:
        time.sleep(0.02)
    [waiting] = relay.rows("relay_outbox")
    assert waiting["attempts"] == 1
    assert waiting["next_attempt_at"] == clock.now + dt.timedelta(seconds=10)

    receiver.answer = 204
    clock.advance(seconds=11)
    relay.relay.outbox.kick()
    second = receiver.wait_for(2)[1]

    assert second.body == first.body
    deadline = time.monotonic() + 5
    while relay.rows("relay_outbox") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert relay.rows("relay_outbox") == []


def test_a_notice_is_given_up_after_seven_attempts(relay, receiver, clock):
    receiver.answer = 500
    relay.subscribe(VendorKey.generate(), ["916"], receiver.callback)
    relay.relay.outbox.close()  # attempts are made here, one by one, on the test's clock
    relay.announce(VendorKey.generate(), intent(clock), FORWARD_TO)

    for attempt in range(7):
        assert relay.relay.outbox.deliver_due() == 1, attempt
        clock.advance(hours=7)
    assert len(receiver.notices) == 7
    assert relay.rows("relay_outbox") == []


@pytest.mark.parametrize(
    ("claims", "slug", "detail"),
    [
        ({"categories": []}, "invalid-subscription", "categories is a list of 1 to 20"),
        ({"categories": ["916"] * 21}, "invalid-subscription", "categories is a list of 1 to 20"),
        ({"categories": ["cars"]}, "invalid-subscription", "'cars' is not in the list"),
        ({"categories": "916"}, "invalid-subscription", "categories is a list"),
        ({"countries": ["gb"]}, "invalid-subscription", "'gb' is not a country code"),
        ({"countries": ["GB"] * 51}, "invalid-subscription", "at most 50 country codes"),
        ({"callback": None}, "refused-address", "callback must be a URL"),
        ({"callback": "ftp://vendor.example/x"}, "refused-address", "must be an https URL"),
        ({"callback": "https://vendor.example/x#f"}, "refused-address", "fragment"),
    ],
)
def test_a_subscription_that_does_not_fit_is_refused(relay, receiver, claims, slug, detail):
    fields = {"categories": ["916"], "callback": receiver.callback, **claims}
    token = signed(VendorKey.generate(), "relay-subscription+jwt", relay.url, relay.clock, **fields)

    response = requests.post(f"{relay.url}/subscriptions", data=token, headers=JWT, timeout=10)

    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith(f"#{slug}")
    assert detail in response.json()["detail"]
    assert relay.rows("relay_subscriptions") == []


def test_a_production_relay_refuses_a_private_callback(relay_store_url, clock):
    strict = LiveRelay(relay_store_url, clock, allow_private=False)
    try:
        for callback in ("https://127.0.0.1/x", "https://192.168.1.2/x", "http://vendor.example/x"):
            response = strict.subscribe(VendorKey.generate(), ["916"], callback)
            assert response.status_code == 422, callback
            assert response.json()["type"].endswith("#refused-address")
        assert strict.rows("relay_subscriptions") == []
    finally:
        strict.stop()


def test_a_key_holds_at_most_twenty_subscriptions(relay_store_url, clock, receiver):
    live = LiveRelay(
        relay_store_url, clock, allow_private=True, limits=RelayLimits(subscriptions_per_network=50)
    )
    try:
        vendor = VendorKey.generate()
        for _ in range(20):
            assert live.subscribe(vendor, ["916"], receiver.callback).status_code == 201
        refused = live.subscribe(vendor, ["916"], receiver.callback)
        other = live.subscribe(VendorKey.generate(), ["916"], receiver.callback)
    finally:
        live.stop()

    assert refused.status_code == 429
    assert refused.json()["type"].endswith("#too-many-attempts")
    assert "at most 20 subscriptions" in refused.json()["detail"]
    assert 0 < int(refused.headers["Retry-After"]) <= 30 * 86400 + 1
    assert other.status_code == 201


def test_new_subscriptions_from_one_network_are_capped_per_hour(relay_store_url, clock, receiver):
    live = LiveRelay(
        relay_store_url, clock, allow_private=True, limits=RelayLimits(subscriptions_per_network=2)
    )
    try:
        answers = [
            live.subscribe(VendorKey.generate(), ["916"], receiver.callback) for _ in range(3)
        ]
        clock.advance(hours=1)
        later = live.subscribe(VendorKey.generate(), ["916"], receiver.callback)
    finally:
        live.stop()

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert "at most 2 subscriptions an hour from one network" in answers[2].json()["detail"]
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 3601
    assert later.status_code == 201
