"""Pods announce intents, vendors find them: the feed shows each current intent with the
relay's reply address (never the pod's), filtered by category (narrower ones included) and
country, newest first, fifty to a page, with a strong ETag. Real relay on loopback, both
backends."""

from __future__ import annotations

import datetime as dt
import json

import jwt
import pytest
import requests
from rdflib import RDF, Graph

from pds import schemas
from pds.consent.intents import public_form
from pds.consent.jose import thumbprint
from pds.relay import RelayLimits
from tests.relay.relay_setup import LAPTOP, Clock, LiveRelay, intent
from vendor_client import VendorKey

FORWARD_TO = "http://127.0.0.1:9/replies/pod-secret-token"


def announced(relay, body: dict, key: VendorKey | None = None, forward_to=FORWARD_TO) -> dict:
    response = relay.announce(key or VendorKey.generate(), body, forward_to)
    assert response.status_code == 201, response.text
    return response.json()


def items(response: requests.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["orderedItems"]


def test_an_announced_intent_is_in_the_feed_with_the_relays_reply_address(relay, clock):
    key = VendorKey.generate()
    car = intent(clock)

    answer = relay.announce(key, car, FORWARD_TO)

    assert answer.status_code == 201, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    made = answer.json()
    assert set(made) == {"id", "reply_to", "withdraw_url", "expires_at"}
    assert made["reply_to"].startswith(f"{relay.url}/replies/")
    assert made["withdraw_url"] == f"{relay.url}/announcements/{made['id']}/withdraw"
    day_after = clock.now.date().toordinal() + 31
    assert made["expires_at"] == f"{clock.now.date().fromordinal(day_after)}T00:00:00+00:00"

    feed = relay.feed()
    assert feed.headers["Content-Type"] == "application/activity+json"
    page = feed.json()
    assert page["type"] == "OrderedCollectionPage"
    assert page["@context"] == "https://www.w3.org/ns/activitystreams"
    assert page["orderedItems"] == [{**car, "reply_to": made["reply_to"]}]
    assert "pod-secret-token" not in feed.text and ":9/" not in feed.text

    [row] = relay.rows("relay_announcements")
    assert json.loads(row["intent"]) == car
    assert row["forward_to"] == FORWARD_TO
    assert row["key_thumbprint"] == thumbprint(key.public_jwk)
    assert made["reply_to"].endswith(row["reply_token"])


def test_a_category_matches_itself_and_every_narrower_category(relay, clock):
    car = announced(relay, intent(clock))
    laptop = announced(relay, intent(clock, category=LAPTOP, name="A light laptop"))

    def reply_addresses(**query):
        return {i["reply_to"] for i in items(relay.feed(**query))}

    assert reply_addresses(category="916") == {car["reply_to"]}  # Cars, Trucks & Vans
    assert reply_addresses(category="888") == {car["reply_to"]}  # Vehicles & Parts
    assert reply_addresses(category="5614") == {car["reply_to"]}  # Vehicles
    assert reply_addresses(category="222") == {laptop["reply_to"]}  # Electronics
    assert reply_addresses(category="278") == {laptop["reply_to"]}  # Computers
    assert reply_addresses(category="1") == set()  # Animals & Pet Supplies
    assert reply_addresses() == {car["reply_to"], laptop["reply_to"]}


def test_a_country_keeps_that_country_and_intents_that_name_none(relay, clock):
    leeds = announced(relay, intent(clock, country="GB"))
    lyon = announced(relay, intent(clock, country="FR"))
    anywhere = announced(relay, intent(clock, country=None))

    def reply_addresses(**query):
        return {i["reply_to"] for i in items(relay.feed(**query))}

    assert reply_addresses(country="GB") == {leeds["reply_to"], anywhere["reply_to"]}
    assert reply_addresses(country="FR") == {lyon["reply_to"], anywhere["reply_to"]}
    assert reply_addresses(country="FR", category="916") == {
        lyon["reply_to"],
        anywhere["reply_to"],
    }
    assert reply_addresses(country="DE") == {anywhere["reply_to"]}


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ({"category": "99999999"}, "category '99999999' is not a category notation"),
        ({"category": "cars"}, "category 'cars' is not a category notation"),
        ({"country": "gb"}, "country 'gb' is not a country code"),
        ({"country": "GBR"}, "country 'GBR' is not a country code"),
        ({"page": "0"}, "page is a whole number from 1 to 2000"),
        ({"page": "2001"}, "page is a whole number from 1 to 2000"),
        ({"page": "¹"}, "page is a whole number"),
        ({"page": "-1"}, "page is a whole number"),
        ({"categroy": "916"}, "unknown query parameter(s): categroy"),
        ({"category": ["916", "222"]}, "give category once"),
    ],
)
def test_a_feed_query_the_relay_cannot_answer_is_a_clear_400(relay, query, detail):
    response = relay.feed(**query)

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://w3id.org/vrm-pod/problems#invalid-query"
    assert detail in problem["detail"]


def test_the_feed_has_a_strong_etag_and_answers_304_until_it_changes(relay, clock):
    announced(relay, intent(clock))
    first = relay.feed(category="916")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Cache-Control"] == "no-cache"

    again = requests.get(
        f"{relay.url}/feed", params={"category": "916"}, headers={"If-None-Match": etag}, timeout=10
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    weak = requests.get(
        f"{relay.url}/feed",
        params={"category": "916"},
        headers={"If-None-Match": f'"other", W/{etag}'},
        timeout=10,
    )
    assert weak.status_code == 304

    announced(relay, intent(clock))
    changed = requests.get(
        f"{relay.url}/feed", params={"category": "916"}, headers={"If-None-Match": etag}, timeout=10
    )
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert len(changed.json()["orderedItems"]) == 2


def test_the_feed_pages_fifty_newest_first(relay_store_url, clock: Clock):
    live = LiveRelay(
        relay_store_url, clock, allow_private=True, limits=RelayLimits(announcements_per_network=60)
    )
    try:
        made = []
        for number in range(55):
            made.append(announced(live, intent(clock, name=f"Car number {number}"))["reply_to"])
            clock.advance(seconds=1)
        newest_first = made[::-1]

        first = live.feed(category="916").json()
        second = requests.get(first["next"], timeout=10).json()
    finally:
        live.stop()

    assert [i["reply_to"] for i in first["orderedItems"]] == newest_first[:50]
    assert first["totalItems"] == 55 and first["startIndex"] == 0
    assert first["id"] == f"{live.url}/feed?category=916&page=1"
    assert first["partOf"] == f"{live.url}/feed?category=916"
    assert first["next"] == f"{live.url}/feed?category=916&page=2"
    assert "prev" not in first
    assert [i["reply_to"] for i in second["orderedItems"]] == newest_first[50:]
    assert second["startIndex"] == 50
    assert second["prev"] == first["id"]
    assert "next" not in second


def test_discovery_says_where_everything_is_and_the_jwks_holds_the_relays_key(relay):
    found = requests.get(f"{relay.url}/.well-known/intent-relay", timeout=10)
    keys = requests.get(f"{relay.url}/.well-known/jwks.json", timeout=10)

    document = found.json()
    assert document["relay"] == relay.url
    assert document["announcement_endpoint"] == f"{relay.url}/announcements"
    assert document["feed_endpoint"] == f"{relay.url}/feed"
    assert document["subscription_endpoint"] == f"{relay.url}/subscriptions"
    assert document["jwks_uri"] == f"{relay.url}/.well-known/jwks.json"
    assert document["signing_alg_values_supported"] == ["EdDSA", "Ed25519", "ES256"]
    assert document["limits"]["body_bytes"] == 16384
    assert found.headers["X-Content-Type-Options"] == "nosniff"
    [key] = keys.json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and "d" not in key
    assert key["kid"] == thumbprint(key)
    assert keys.headers["Cache-Control"] == "public, max-age=300"
    assert isinstance(jwt.PyJWK(key).key, object)


def test_the_relay_keeps_its_key_across_restarts(relay_store_url, clock):
    first = LiveRelay(relay_store_url, clock, allow_private=True)
    kid = first.relay.key.kid
    first.stop()
    second = LiveRelay(relay_store_url, clock, allow_private=True)
    try:
        assert second.relay.key.kid == kid
        assert len(second.rows("relay_keys")) == 1
    finally:
        second.stop()


def test_the_categories_list_gives_notations_and_names(relay):
    listed = requests.get(f"{relay.url}/categories", timeout=10).json()["categories"]

    car = next(c for c in listed if c["notation"] == "916")
    assert car["path"] == "Vehicles & Parts > Vehicles > Motor Vehicles > Cars, Trucks & Vans"
    assert car["id"] == "https://w3id.org/vrm-pod/categories/gpt-916"


def test_an_intent_as_the_pod_publishes_it_is_taken_as_it_is(relay, clock):
    """The pod's own public form of its sample intent (protocol §14.1), minus reply_to."""
    graph = Graph().parse(
        data=schemas.sample_documents()["/intents/small-car"],
        format="turtle",
        publicID="https://pod.example/data/intents/small-car",
    )
    node = next(graph.subjects(RDF.type, schemas.VOCAB.Intent))
    published = public_form((graph, node), "wvi6suAVP1qV0N7Bbo21WQ", None)
    published.pop("reply_to")
    published["offers_until"] = (clock.now.date() + dt.timedelta(days=30)).isoformat()

    made = relay.announce(VendorKey.generate(), published, FORWARD_TO)

    assert made.status_code == 201, made.text
    assert items(relay.feed(category="916")) == [{**published, "reply_to": made.json()["reply_to"]}]
