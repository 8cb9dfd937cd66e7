"""Offers reach the pod through the relay, and answers come back, without either side
learning the other's address: the pod gets the vendor's signed offer byte for byte and the
relay address it came through; the vendor gets the pod's answer with the relay's status URL,
never the pod's. Status polls carry the vendor's DPoP proof to the pod untouched."""

from __future__ import annotations

import time

import requests

from pds.relay import RelayLimits
from tests.relay.relay_setup import JWT, FakePod, LiveRelay, intent
from vendor_client import VendorKey, make_proof, send_offer


def published(relay: LiveRelay, pod: FakePod) -> tuple[dict, str]:
    """An intent announced to the relay, as a vendor finds it in the feed; and the pod's
    reply address behind it."""
    forward_to = pod.reply_address()
    response = relay.announce(VendorKey.generate(), intent(relay.clock), forward_to)
    assert response.status_code == 201, response.text
    [item] = relay.feed().json()["orderedItems"]
    return item, forward_to


def offer_claims(item: dict, clock, **changes) -> dict:
    return {
        "aud": item["reply_to"],
        "iat": clock.stamp,
        "exp": clock.stamp + 300,
        "jti": "offer-" + item["id"][-12:],
        "intent": item["id"],
        "vendor": {"name": "Leeds Motors"},
        "offer": {
            "summary": "2019 Honda Jazz",
            "price": {"amount": "12999.00", "currency": "GBP"},
            "valid_until": clock.now.date().isoformat(),
        },
        **changes,
    }


def test_an_offer_reaches_the_pod_unchanged_and_the_vendor_sees_only_the_relay(relay, pod):
    item, forward_to = published(relay, pod)
    vendor = VendorKey.generate()
    offer = vendor.sign(offer_claims(item, relay.clock), "pds-offer+jwt")

    answer = requests.post(item["reply_to"], data=offer, headers=JWT, timeout=10)

    assert answer.status_code == 202, answer.text
    [received] = pod.received
    assert received.method == "POST"
    assert f"{pod.url}{received.path}" == forward_to
    assert received.body == offer.encode()
    assert received.headers["Content-Type"] == "application/jwt"
    assert received.headers["Pds-Relay-Reply"] == item["reply_to"]
    assert not {"X-Forwarded-For", "Forwarded", "X-Real-Ip"} & set(received.headers)
    body = answer.json()
    assert body["status"] == "received"
    assert body["status_url"] == f"{item['reply_to']}/offers/{body['id']}"
    assert answer.headers["Location"] == body["status_url"]
    assert pod.url not in answer.text and pod.url not in str(answer.headers)
    assert relay.rows("relay_announcements")[0]["forward_to"] == forward_to  # nothing else kept


def test_a_status_poll_reaches_the_pod_with_the_vendors_proof_untouched(relay, pod):
    item, forward_to = published(relay, pod)
    vendor = VendorKey.generate()
    sent = send_offer(
        item,
        vendor,
        vendor={"name": "Leeds Motors"},
        summary="2019 Honda Jazz",
        price="12999.00",
        currency="GBP",
        valid_until=relay.clock.now.date().isoformat(),
    )
    assert sent.status_url.startswith(item["reply_to"] + "/offers/")
    proof = make_proof(vendor, "GET", sent.status_url)

    answer = requests.get(sent.status_url, headers={"DPoP": proof}, timeout=10)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": sent.id, "status": "received", "access_request": None}
    assert answer.headers["Retry-After"] == "30"
    assert answer.headers["Cache-Control"] == "no-store"
    poll = pod.received[-1]
    assert poll.method == "GET"
    assert f"{pod.url}{poll.path}" == f"{forward_to}/offers/{sent.id}"
    assert poll.headers["Dpop"] == proof
    assert poll.headers["Pds-Relay-Reply"] == item["reply_to"]
    assert sent.status()["status"] == "received"  # and so does the vendor library


def test_the_pods_refusal_reaches_the_vendor_as_the_pods_problem(relay, pod):
    item, _ = published(relay, pod)
    problem = {
        "type": "https://w3id.org/vrm-pod/problems#intent-not-open",
        "title": "Intent not open for offers",
        "status": 409,
        "detail": "this intent is paused: it takes no offers",
        "debug": f"{pod.url}/replies/x",  # a member that would name the pod
    }
    pod.offer_answer = (409, problem, {"Content-Type": "application/problem+json"})
    offer = VendorKey.generate().sign(offer_claims(item, relay.clock), "pds-offer+jwt")

    answer = requests.post(item["reply_to"], data=offer, headers=JWT, timeout=10)

    assert answer.status_code == 409
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json() == {k: v for k, v in problem.items() if k != "debug"}


def test_a_pod_redirect_or_server_error_is_a_502_that_does_not_name_the_pod(relay, pod):
    item, _ = published(relay, pod)
    vendor = VendorKey.generate()
    answers = []
    for status, headers in ((302, {"Location": f"{pod.url}/elsewhere"}), (500, {})):
        pod.offer_answer = (status, {"detail": f"failed at {pod.url}"}, headers)
        claims = offer_claims(item, relay.clock, jti=f"offer-{status}-attempt")
        answers.append(
            requests.post(
                item["reply_to"], data=vendor.sign(claims, "pds-offer+jwt"), headers=JWT, timeout=10
            )
        )

    for answer in answers:
        assert answer.status_code == 502
        assert answer.json()["type"].endswith("#pod-unreachable")
        assert pod.url not in answer.text and "127.0.0.1" not in answer.text
    assert "redirect" in answers[0].json()["detail"]
    assert "answered 500" in answers[1].json()["detail"]


def test_an_unreachable_pod_is_a_502_that_does_not_name_it(relay):
    closed = FakePod()
    closed.stop()  # nothing listens there any more
    item, _ = published(relay, closed)
    offer = VendorKey.generate().sign(offer_claims(item, relay.clock), "pds-offer+jwt")

    answer = requests.post(item["reply_to"], data=offer, headers=JWT, timeout=20)

    assert answer.status_code == 502
    assert answer.json()["type"].endswith("#pod-unreachable")
    assert "127.0.0.1" not in answer.text


def test_an_offer_not_meant_for_this_address_never_reaches_the_pod(relay, pod):
    item, forward_to = published(relay, pod)
    vendor = VendorKey.generate()
    cases = [
        (vendor.sign(offer_claims(item, relay.clock, aud=forward_to), "pds-offer+jwt"), "aud"),
        (vendor.sign(offer_claims(item, relay.clock), "pds-access-request+jwt"), "typ"),
        ("not a jws", "compact JWS"),
    ]

    for body, detail in cases:
        answer = requests.post(item["reply_to"], data=body, headers=JWT, timeout=10)
        assert answer.status_code == 422, answer.text
        assert detail in answer.json()["detail"]
    wrong_type = requests.post(
        item["reply_to"], data="{}", headers={"Content-Type": "application/json"}, timeout=10
    )
    too_big = requests.post(item["reply_to"], data="a" * 16385, headers=JWT, timeout=10)

    assert wrong_type.status_code == 415 and wrong_type.headers["Accept-Post"] == "application/jwt"
    assert too_big.status_code == 413
    assert pod.received == []


def test_an_unknown_or_withdrawn_reply_address_takes_no_offers(relay, pod):
    forward_to = pod.reply_address()
    key = VendorKey.generate()
    made = relay.announce(key, intent(relay.clock), forward_to).json()
    relay.withdraw(key, made["id"])
    vendor = VendorKey.generate()

    for url in (made["reply_to"], f"{relay.url}/replies/never-made"):
        claims = offer_claims({"reply_to": url, "id": "urn:pds:intent:whatever1"}, relay.clock)
        offer = requests.post(
            url, data=vendor.sign(claims, "pds-offer+jwt"), headers=JWT, timeout=10
        )
        assert offer.status_code == 404
        assert offer.json()["type"].endswith("#intent-not-found")
    never = f"{relay.url}/replies/never-made"
    poll = requests.get(
        f"{never}/offers/abc", headers={"DPoP": make_proof(vendor, "GET", never)}, timeout=10
    )
    assert poll.status_code == 404
    assert pod.received == []


def test_decisions_can_still_be_polled_after_the_intent_is_withdrawn_then_not(relay, pod):
    key = VendorKey.generate()
    made = relay.announce(key, intent(relay.clock), pod.reply_address()).json()
    relay.withdraw(key, made["id"])
    vendor = VendorKey.generate()
    url = f"{made['reply_to']}/offers/abc"

    def poll():
        return requests.get(url, headers={"DPoP": make_proof(vendor, "GET", url)}, timeout=10)

    assert poll().status_code == 200  # forwarded: the vendor learns the customer's answer
    assert [r.method for r in pod.received] == ["GET"]
    assert relay.rows("relay_announcements") == []  # the intent itself is gone
    relay.clock.advance(days=400)
    assert poll().status_code == 404
    assert relay.rows("relay_routes") == []


def test_a_poll_without_one_dpop_proof_is_refused_before_the_pod(relay, pod):
    item, _ = published(relay, pod)
    url = f"{item['reply_to']}/offers/some-offer"

    missing = requests.get(url, timeout=10)
    bad_id = requests.get(f"{item['reply_to']}/offers/bad%20id", headers={"DPoP": "x"}, timeout=10)

    assert missing.status_code == 401
    assert missing.json()["type"].endswith("#invalid-dpop-proof")
    assert missing.headers["WWW-Authenticate"] == 'DPoP algs="EdDSA Ed25519 ES256"'
    assert bad_id.status_code == 404
    assert pod.received == []


def test_offers_from_one_network_to_one_intent_are_capped(relay_store_url, clock, pod):
    live = LiveRelay(
        relay_store_url, clock, allow_private=True, limits=RelayLimits(offers_per_network=2)
    )
    try:
        item, _ = published(live, pod)
        vendor = VendorKey.generate()
        answers = []
        for number in range(3):
            claims = offer_claims(item, clock, jti=f"offer-number-{number}")
            body = vendor.sign(claims, "pds-offer+jwt")
            answers.append(requests.post(item["reply_to"], data=body, headers=JWT, timeout=10))
    finally:
        live.stop()

    assert [a.status_code for a in answers] == [202, 202, 429]
    assert "at most 2 offers to one intent an hour" in answers[2].json()["detail"]
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 3601
    assert len(pod.received) == 2


def test_a_slow_pod_is_given_up_on_with_a_502(tmp_path, clock, pod):
    live = LiveRelay(f"sqlite:///{tmp_path / 'relay.sqlite3'}", clock, allow_private=True)
    try:
        item, _ = published(live, pod)
        pod.delay = 5.5  # more than the 5 s the relay waits for an answer
        offer = VendorKey.generate().sign(offer_claims(item, clock), "pds-offer+jwt")
        started = time.monotonic()
        answer = requests.post(item["reply_to"], data=offer, headers=JWT, timeout=20)
        waited = time.monotonic() - started
    finally:
        live.stop()

    assert answer.status_code == 502
    assert "did not answer" in answer.json()["detail"]
    assert 5 <= waited < 7
