"""The relay forgets: a withdrawn intent leaves the feed, the database and the outbox at once,
and an intent is gone once its last day for offers has passed, without anyone asking."""

from __future__ import annotations

import datetime as dt

import requests

from tests.relay.relay_setup import JWT, intent, signed
from vendor_client import VendorKey

FORWARD_TO = "http://127.0.0.1:9/replies/pod-secret-token"


def test_a_withdrawn_intent_leaves_the_feed_the_database_and_the_outbox(relay, receiver):
    receiver.answer = 503  # the vendor's callback is down: the notice waits for a retry
    vendor = VendorKey.generate()
    assert relay.subscribe(vendor, ["916"], receiver.callback).status_code == 201
    key = VendorKey.generate()
    made = relay.announce(key, intent(relay.clock), FORWARD_TO).json()
    receiver.wait_for(1)
    assert len(relay.rows("relay_outbox")) == 1

    response = relay.withdraw(key, made["id"])

    assert response.status_code == 204, response.text
    assert response.content == b"" and "Content-Type" not in response.headers
    assert relay.feed().json()["orderedItems"] == []
    assert relay.rows("relay_announcements") == []
    assert relay.rows("relay_outbox") == []
    offer = requests.post(made["reply_to"], data="a.b.c", headers=JWT, timeout=10)
    assert offer.status_code == 404
    assert offer.json()["type"].endswith("#intent-not-found")


def test_an_intent_stays_through_its_last_day_and_is_forgotten_after_it(relay, clock):
    last_day = clock.now.date() + dt.timedelta(days=2)
    made = relay.announce(
        VendorKey.generate(), intent(clock, offers_until=last_day.isoformat()), FORWARD_TO
    ).json()
    assert made["expires_at"] == f"{last_day + dt.timedelta(days=1)}T00:00:00+00:00"

    clock.now = dt.datetime.combine(last_day, dt.time(23, 59, 59), dt.UTC)
    assert len(relay.feed().json()["orderedItems"]) == 1

    clock.now = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 0), dt.UTC)
    assert relay.feed().json()["orderedItems"] == []
    assert relay.rows("relay_announcements") == []
    offer = requests.post(made["reply_to"], data="a.b.c", headers=JWT, timeout=10)
    assert offer.status_code == 404


def test_an_expired_intent_is_forgotten_on_the_next_write_too(relay, clock):
    today = clock.now.date().isoformat()
    relay.announce(VendorKey.generate(), intent(clock, offers_until=today), FORWARD_TO)
    clock.advance(days=1)

    fresh = relay.announce(VendorKey.generate(), intent(clock), FORWARD_TO)

    assert fresh.status_code == 201
    [kept] = relay.rows("relay_announcements")
    assert kept["id"] == fresh.json()["id"]


def test_used_jws_ids_are_forgotten_once_they_could_no_longer_be_replayed(relay, clock):
    relay.announce(VendorKey.generate(), intent(clock), FORWARD_TO)
    [used] = relay.rows("relay_replay")
    assert used["expires_at"] <= clock.now + dt.timedelta(seconds=300 + 30)

    clock.advance(seconds=331)
    relay.announce(VendorKey.generate(), intent(clock), FORWARD_TO)

    assert [r["jws_hash"] for r in relay.rows("relay_replay")] != [used["jws_hash"]]
    assert len(relay.rows("relay_replay")) == 1


def test_subscriptions_end_after_thirty_days(relay, clock, receiver):
    vendor = VendorKey.generate()
    made = relay.subscribe(vendor, ["916"], receiver.callback).json()
    assert made["expires_at"] == (clock.now + dt.timedelta(days=30)).isoformat()

    clock.advance(days=30)
    relay.announce(VendorKey.generate(), intent(clock), FORWARD_TO)

    assert relay.rows("relay_subscriptions") == []
    assert relay.rows("relay_outbox") == []
    cancel = signed(vendor, "relay-unsubscribe+jwt", relay.url, clock, subscription=made["id"])
    gone = requests.post(made["cancel_url"], data=cancel, headers=JWT, timeout=10)
    assert gone.status_code == 404
