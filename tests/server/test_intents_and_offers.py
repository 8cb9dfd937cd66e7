"""The personal RFP in one pod: the customer writes an intent, sees exactly what will be
published, publishes it; vendors answer with signed offers at its reply address; the customer
accepts one (a grant for the fields ticked) and declines the others. Over the live server, on
both backends, with vendors using vendor_client."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import secrets
import time

import pytest
import requests
from rdflib import URIRef

from pds import schemas
from pds.consent import offers as offer_rules
from tests.server.vendor_setup import INTENT, TURTLE
from vendor_client import PodClient, VendorKey, send_offer
from vendor_client.errors import IntentClosed, NotFound, RateLimited, VendorClientError

NAME, EMAIL, PHONE = (f"https://schema.org/{f}" for f in ("name", "email", "telephone"))

CARS = "https://w3id.org/vrm-pod/categories/gpt-916"


def offer(intent: dict, key: VendorKey | None = None, name: str = "Leeds Motors", **changes):
    fields = {
        "vendor": {"name": name},
        "summary": "2019 Honda Jazz 1.3, automatic, 31,000 miles, full service history",
        "price": "12999.00",
        "currency": "GBP",
        "valid_until": (dt.date.today() + dt.timedelta(days=14)).isoformat(),
        **changes,
    }
    return send_offer(intent, key or VendorKey.generate(), **fields)


def test_the_customer_sees_what_will_be_published_and_it_says_nothing_of_them(
    server, owner, customer_data
):
    sample = schemas.sample_documents()[INTENT]
    owner.put(f"{server.url}/data{INTENT}", data=sample.encode(), headers=TURTLE)

    listed = owner.get(f"{server.url}/owner/intents", timeout=10).json()["intents"]
    preview = owner.get(f"{server.url}/owner/intents/small-car/preview", timeout=10).json()

    assert [(i["id"], i["status"]) for i in listed] == [("small-car", "draft")]
    shown = preview["published"]
    assert shown["name"] == "A small reliable car"
    assert shown["category"]["name"] == "Cars, Trucks & Vans"
    assert shown["category"]["notation"] == "916"
    assert shown["budget"] == {"min": None, "max": "15000", "currency": "GBP"}
    assert shown["near"] == {"locality": "Leeds", "country": "GB", "radius_km": "50"}
    assert shown["must_have"] == ["automatic gearbox", "full service history"]
    assert shown["agreement"]["id"] == "PDC-INTENT"
    assert preview["warnings"] == []
    text = json.dumps(shown)
    for private in ("Alex", "alex@example", "Example Street", server.url):
        assert private not in text


def test_the_preview_warns_when_the_intent_gives_the_customer_away(server, owner, customer_data):
    sample = schemas.sample_documents()[INTENT].replace(
        "for town driving", "for town driving; write to alex@example.org"
    )
    owner.put(f"{server.url}/data{INTENT}", data=sample.encode(), headers=TURTLE)

    preview = owner.get(f"{server.url}/owner/intents/small-car/preview", timeout=10).json()

    assert preview["warnings"] == ["It contains your email address (alex@example.org)."]


def test_three_dealers_offer_the_customer_accepts_one_and_only_it_learns_who_they_are(
    server, owner, published
):
    dealers = {name: VendorKey.generate() for name in ("Leeds Motors", "York Cars", "Hull Autos")}
    sent = {
        name: offer(published, key, name, price=price)
        for (name, key), price in zip(
            dealers.items(), ("12999.00", "13450.00", "11800.00"), strict=True
        )
    }
    assert all(s.status()["status"] == "received" for s in sent.values())

    offers = owner.get(f"{server.url}/owner/intents/small-car/offers", timeout=10).json()
    assert [(o["vendor"]["name"], o["price"]["amount"]) for o in offers["offers"]] == [
        ("Leeds Motors", "12999.00"),
        ("York Cars", "13450.00"),
        ("Hull Autos", "11800.00"),
    ]
    chosen = next(o for o in offers["offers"] if o["vendor"]["name"] == "Hull Autos")
    accepted = owner.post(
        f"{server.url}/owner/offers/{chosen['id']}/accept",
        json={"fields": [NAME, EMAIL], "decline_others": True},
        timeout=10,
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["scopes"][0]["fields"] == sorted([EMAIL, NAME])

    decision = sent["Hull Autos"].wait(timeout=30, interval=0.2)
    assert decision.accepted and decision.pod is not None and decision.grant is not None
    assert decision.pod.pod_url == server.url
    profile = decision.pod.read("/profile", decision.grant)
    assert {str(p) for p in profile.predicates()} - {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    } == {NAME, EMAIL}
    assert URIRef(PHONE) not in set(profile.predicates())
    for name in ("Leeds Motors", "York Cars"):
        assert sent[name].wait(timeout=10, interval=0.2).status == "declined"
        assert sent[name].status()["access_request"] is None


def test_an_offer_is_readable_only_by_the_key_that_made_it(server, owner, published):
    sent = offer(published)
    stranger = type(sent)(VendorKey.generate(), sent.id, sent.status_url)

    with pytest.raises(NotFound):
        stranger.status()


def test_offers_to_a_paused_or_closed_intent_are_refused_and_nothing_is_stored(
    server, owner, published
):
    base = f"{server.url}/owner/intents/small-car"
    assert owner.post(f"{base}/pause", timeout=10).json()["status"] == "paused"
    with pytest.raises(IntentClosed) as paused:
        offer(published)
    assert paused.value.response.status_code == 409
    assert "paused" in paused.value.response.json()["detail"]

    assert owner.post(f"{base}/resume", timeout=10).json()["status"] == "published"
    offer(published)
    closed = owner.post(f"{base}/close", timeout=10).json()
    assert closed["status"] == "closed" and closed["reply_to"] is None
    with pytest.raises(VendorClientError) as refused:
        offer(published)
    assert refused.value.response.status_code in (404, 409)

    assert len(owner.get(f"{base}/offers", timeout=10).json()["offers"]) == 1
    assert owner.post(f"{base}/resume", timeout=10).status_code == 409


def signed(published: dict, key: VendorKey, **changes) -> str:
    now = int(time.time())
    claims = {
        "aud": published["reply_to"],
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(16),
        "intent": published["id"],
        "vendor": {"name": "Odd Dealer"},
        "offer": {
            "summary": "a car",
            "price": {"amount": "100.00", "currency": "GBP"},
            "valid_until": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
        },
        **changes,
    }
    return key.sign(claims, offer_rules.OFFER_TYP)


def post(intent: dict, body: str, url: str | None = None) -> requests.Response:
    return requests.post(
        url or intent["reply_to"],
        data=body,
        headers={"Content-Type": "application/jwt"},
        timeout=10,
    )


BAD_OFFERS = {
    "another audience": ({"aud": "https://elsewhere.example/replies/x"}, 422, "aud"),
    "another intent": ({"intent": "urn:pds:intent:someother"}, 422, "not the intent"),
    "no price": ({"offer": {"summary": "x", "valid_until": "2099-01-01"}}, 422, "price"),
    "a price as a number": (
        {"offer": {"summary": "x", "price": {"amount": 100, "currency": "GBP"}}},
        422,
        "price",
    ),
    "past validity": (
        {
            "offer": {
                "summary": "x",
                "price": {"amount": "1.00", "currency": "GBP"},
                "valid_until": "2001-01-01",
            }
        },
        422,
        "passed",
    ),
    "a link that is not https": (
        {
            "offer": {
                "summary": "x",
                "price": {"amount": "1.00", "currency": "GBP"},
                "valid_until": "2099-01-01",
                "link": "javascript:alert(1)",
            }
        },
        422,
        "https",
    ),
    "a summary too long": (
        {
            "offer": {
                "summary": "x" * 2001,
                "price": {"amount": "1.00", "currency": "GBP"},
                "valid_until": "2099-01-01",
            }
        },
        422,
        "summary",
    ),
    "long lived": ({"exp": int(time.time()) + 3600}, 422, "expire within"),
}


@pytest.mark.parametrize(("changes", "status", "says"), BAD_OFFERS.values(), ids=BAD_OFFERS)
def test_a_malformed_offer_is_refused_clearly_and_not_stored(
    server, owner, published, changes, status, says
):
    response = post(published, signed(published, VendorKey.generate(), **changes))

    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert says in response.json()["detail"]
    assert owner.get(f"{server.url}/owner/intents/small-car/offers", timeout=10).json() == {
        "offers": []
    }


def test_unsigned_forged_replayed_oversized_and_misaddressed_offers_are_refused(
    server, owner, published
):
    key = VendorKey.generate()
    good = signed(published, key)
    header, payload, signature = good.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"

    assert post(published, "not a jws").status_code == 422
    assert post(published, forged).status_code == 422
    assert post(published, good).status_code == 202
    assert "already sent" in post(published, good).json()["detail"]  # replayed
    too_big = post(published, "a" * (offer_rules.MAX_OFFER_BYTES + 1))
    assert too_big.status_code == 413
    nowhere = post(published, good, url=f"{server.url}/replies/{secrets.token_urlsafe(32)}")
    assert nowhere.status_code == 404
    wrong_type = requests.post(published["reply_to"], data=good, timeout=10)
    assert wrong_type.status_code == 415
    offers = owner.get(f"{server.url}/owner/intents/small-car/offers", timeout=10).json()
    assert len(offers["offers"]) == 1


def test_a_vendor_flooding_one_intent_is_held_back(server, owner, published):
    key = VendorKey.generate()
    for _ in range(offer_rules.OFFERS_PER_VENDOR_HOUR):
        offer(published, key)

    with pytest.raises(RateLimited) as held:
        offer(published, key)

    assert 0 < int(held.value.response.headers["Retry-After"]) <= 3600
    offers = owner.get(f"{server.url}/owner/intents/small-car/offers", timeout=10).json()
    assert len(offers["offers"]) == offer_rules.OFFERS_PER_VENDOR_HOUR


def test_a_grant_from_an_offer_never_reaches_the_intents(server, owner, published):
    sent = offer(published)
    offers = owner.get(f"{server.url}/owner/intents/small-car/offers", timeout=10).json()
    owner.post(
        f"{server.url}/owner/offers/{offers['offers'][0]['id']}/accept",
        json={"fields": [NAME]},
        timeout=10,
    )
    decision = sent.wait(timeout=30, interval=0.2)
    assert decision.pod is not None and decision.grant is not None

    with pytest.raises(VendorClientError) as refused:
        decision.pod.read(INTENT, decision.grant)

    assert refused.value.response.status_code == 403


def test_accepting_needs_a_field_and_happens_once(server, owner, published):
    offer(published)
    [made] = owner.get(f"{server.url}/owner/intents/small-car/offers", timeout=10).json()["offers"]
    url = f"{server.url}/owner/offers/{made['id']}"

    assert owner.post(f"{url}/accept", json={"fields": []}, timeout=10).status_code == 422
    unknown = owner.post(f"{url}/accept", json={"fields": ["https://x.example/y"]}, timeout=10)
    assert unknown.status_code == 422
    assert owner.post(f"{url}/accept", json={"fields": [NAME]}, timeout=10).status_code == 201
    again = owner.post(f"{url}/accept", json={"fields": [NAME]}, timeout=10)
    assert again.status_code == 409
    assert owner.post(f"{url}/decline", timeout=10).status_code == 409
    assert len(PodClient(server.url, VendorKey.generate()).discover().resources) >= 2


def test_a_draft_can_be_changed_and_a_published_intent_cannot(server, owner, customer_data):
    until = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    draft = {"name": "A bicycle", "category": CARS, "offers_until": until}
    made = owner.post(f"{server.url}/owner/intents", json=draft, timeout=10)
    assert made.status_code == 201, made.text
    url = f"{server.url}/owner/intents/{made.json()['id']}"

    changed = owner.put(url, json={**draft, "name": "A cargo bicycle"}, timeout=10)
    assert changed.status_code == 200 and changed.json()["published"]["name"] == "A cargo bicycle"
    assert owner.post(f"{url}/publish", timeout=10).status_code == 200

    refused = owner.put(url, json={**draft, "name": "Something else"}, timeout=10)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("#intent-not-open")
    assert owner.get(url, timeout=10).json()["published"]["name"] == "A cargo bicycle"


def test_an_offer_id_used_at_another_intent_is_not_a_replay(server, owner, published):
    """Replays are refused per address: a vendor must not learn, from a refusal, that two
    anonymous intents it answered with one jti belong to one pod."""
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    draft = {"name": "A bicycle", "category": CARS, "offers_until": until}
    made = owner.post(f"{server.url}/owner/intents", json=draft, timeout=10).json()
    other = owner.post(f"{server.url}/owner/intents/{made['id']}/publish", timeout=10)
    second = other.json()["published"]
    key = VendorKey.generate()

    assert post(published, signed(published, key, jti="one-jti-for-both")).status_code == 202
    assert post(second, signed(second, key, jti="one-jti-for-both")).status_code == 202
    assert post(second, signed(second, key, jti="one-jti-for-both")).status_code == 422


def test_concurrent_offers_from_one_key_cannot_pass_the_cap(server, owner, published):
    key = VendorKey.generate()
    bodies = [signed(published, key) for _ in range(offer_rules.OFFERS_PER_VENDOR_HOUR + 12)]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda body: post(published, body).status_code, bodies))

    assert statuses.count(202) == offer_rules.OFFERS_PER_VENDOR_HOUR
    assert set(statuses) == {202, 429}
    listed = owner.get(f"{server.url}/owner/intents/small-car/offers", timeout=10).json()
    assert len(listed["offers"]) == offer_rules.OFFERS_PER_VENDOR_HOUR
