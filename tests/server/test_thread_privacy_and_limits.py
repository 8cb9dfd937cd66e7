"""Conversations, what a vendor can and cannot learn or do: through a relay the vendor never
learns the pod, and a vendor that knows the pod by another grant cannot tell its anonymous offer
is there; long threads are read page by page; caps hold under concurrency; muting is private;
a message is valid only for a short while. Over the live server, on both backends."""

from __future__ import annotations

import base64
import concurrent.futures
import dataclasses
import json
import time
from collections.abc import Iterator

import pytest
import requests

from pds import schemas
from pds.consent import threads as thread_rules
from pds.consent import vendor_threads as vendor_thread_rules
from tests.relay.relay_setup import Receiver
from tests.server.thread_setup import listening_vendor, offer, owner_threads, stored_messages
from tests.server.vendor_setup import EMAIL, INTENT, TURTLE
from vendor_client import (
    NotFound,
    RelayClient,
    ThreadFull,
    VendorKey,
    make_proof,
)
from vendor_client.threads import sign_message


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)


@pytest.fixture
def callbacks() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


def test_through_a_relay_the_vendor_talks_without_learning_the_pod(
    server, owner, customer_data, loopback_relay
):
    sample = schemas.sample_documents()[INTENT]
    owner.put(f"{server.url}/data{INTENT}", data=sample.encode(), headers=TURTLE)
    owner.put(f"{server.url}/owner/relays", json={"relays": [loopback_relay.url]}, timeout=10)
    owner.post(f"{server.url}/owner/intents/small-car/publish", timeout=10)
    key = VendorKey.generate()
    [intent] = list(RelayClient(loopback_relay.url, key).intents(category="916"))
    thread = offer(intent, key).thread()
    assert thread.url.startswith(loopback_relay.url + "/replies/")

    posted = requests.post(
        thread.url,
        data=sign_message(key, thread.url, "Hello through the relay."),
        headers={"Content-Type": "application/jwt"},
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["thread"] == thread.url
    read = requests.get(
        thread.url, headers={"DPoP": make_proof(key, "GET", thread.url)}, timeout=10
    )
    assert read.status_code == 200, read.text
    assert read.headers["Link"] == f'<{thread.url}>; rel="http://www.w3.org/ns/ldp#inbox"'
    for answer in (posted, read):
        assert server.url not in answer.text and server.url not in str(answer.headers)
    unchanged = requests.get(
        thread.url,
        headers={
            "DPoP": make_proof(key, "GET", thread.url),
            "If-None-Match": read.headers["ETag"],
        },
        timeout=10,
    )
    assert unchanged.status_code == 304

    # A message signed for the pod's own address is not let through by the relay.
    direct = thread.url.replace(loopback_relay.url, server.url)
    misaddressed = requests.post(
        thread.url,
        data=sign_message(key, direct, "Hi"),
        headers={"Content-Type": "application/jwt"},
        timeout=10,
    )
    assert misaddressed.status_code == 422
    assert "aud must be this address" in misaddressed.json()["detail"]
    (listed,) = owner_threads(server, owner)["threads"]
    opened = owner.get(f"{server.url}/owner/threads/{listed['id']}", timeout=10).json()
    assert [m["text"] for m in opened["messages"]] == ["Hello through the relay."]


def test_a_long_thread_is_read_page_by_page(server, owner, published):
    key = VendorKey.generate()
    thread = offer(published, key).thread()
    for n in range(25):
        thread.send(f"message {n}")

    state = thread.read()
    assert (state.total, len(state.messages)) == (25, 20)
    assert state.messages[0].text == "message 5" and state.prev
    assert [m.text for m in thread.history()] == [f"message {n}" for n in range(25)]
    unknown = requests.get(
        thread.url + "?before=nosuchmessage",
        headers={"DPoP": make_proof(key, "GET", thread.url)},
        timeout=10,
    )
    assert unknown.status_code == 400


def test_a_thread_about_an_offer_stays_at_the_offers_address_until_it_is_accepted(
    server, owner, published, callbacks
):
    """A vendor that also holds a grant for something else must not learn, through its
    threads, that this pod is the customer behind the intent."""
    vendor = listening_vendor(server, owner, callbacks.callback)
    sent = offer(published, vendor.key, "Example Shop")
    sent.thread().send("About the car...")
    (listed,) = owner_threads(server, owner)["threads"]
    owner.post(
        f"{server.url}/owner/threads/{listed['id']}/messages", json={"text": "Go on."}, timeout=10
    )
    server.pod.ctx.outbox.deliver_due()

    assert vendor.client.threads() == []
    with pytest.raises(NotFound):
        vendor.client.thread(f"{server.url}/threads/{listed['id']}").read()
    assert callbacks.notices == []  # no Message notice: it would name the pod
    assert [m.text for m in sent.thread().read().messages] == ["About the car...", "Go on."]

    accepted = owner.post(
        f"{server.url}/owner/offers/{listed['offer']}/accept",
        json={"fields": [EMAIL]},
        timeout=10,
    )
    assert accepted.status_code == 201, accepted.text
    assert [t.url for t in vendor.client.threads()] == [f"{server.url}/threads/{listed['id']}"]


def test_muting_is_the_customers_own_business_and_a_full_thread_says_so(
    server, owner, published, monkeypatch
):
    key = VendorKey.generate()
    thread = offer(published, key).thread()
    thread.send("Hello.")
    thread_id = owner_threads(server, owner)["threads"][0]["id"]
    owner.patch(f"{server.url}/owner/threads/{thread_id}", json={"state": "muted"}, timeout=10)
    assert thread.read().state == "open"
    thread.send("Still there?")  # kept, but not counted as new
    assert owner_threads(server, owner)["unread"] == 0

    monkeypatch.setattr(thread_rules, "MAX_MESSAGES", 2)
    with pytest.raises(ThreadFull) as full:
        thread.send("A third?")
    assert full.value.status == 409
    assert "start a new one" in full.value.problem["detail"]


@pytest.mark.parametrize(
    ("times", "detail"),
    [
        ({"iat": 20, "exp": 10}, "must expire within 600 s of its iat"),  # before it began
        ({"iat": +3600, "exp": +3700}, "iat is in the future"),
        ({"iat": -1000, "exp": -700}, "has expired"),
        ({"iat": 0, "exp": 300, "nbf": 600}, "not valid yet"),
    ],
)
def test_a_message_is_valid_for_a_short_while_from_when_it_was_signed(
    server, owner, published, times, detail
):
    key = VendorKey.generate()
    thread = offer(published, key).thread()
    now = int(time.time())
    claims = {
        "aud": thread.url,
        "jti": "abcdefghijk",
        "object": {"type": "Note", "content": "hi"},
        **{k: now + v for k, v in times.items()},
    }
    response = requests.post(
        thread.url,
        data=key.sign(claims, "pds-message+jwt"),
        headers={"Content-Type": "application/jwt"},
        timeout=10,
    )
    assert response.status_code == 422
    assert detail in response.json()["detail"]
    assert stored_messages(server) == 0


def test_a_vendor_that_knows_the_pod_cannot_tell_its_anonymous_offer_is_there(
    server, owner, customer_data, loopback_relay, callbacks
):
    """The same key holds a grant from this pod and made an offer through a relay: replayed
    message and proof ids, and caps, behave as if the two were different pods."""
    sample = schemas.sample_documents()[INTENT]
    owner.put(f"{server.url}/data{INTENT}", data=sample.encode(), headers=TURTLE)
    owner.put(f"{server.url}/owner/relays", json={"relays": [loopback_relay.url]}, timeout=10)
    owner.post(f"{server.url}/owner/intents/small-car/publish", timeout=10)
    vendor = listening_vendor(server, owner, callbacks.callback)
    [intent] = list(RelayClient(loopback_relay.url, vendor.key).intents(category="916"))
    relayed = offer(intent, vendor.key, "Example Shop").thread()
    inbox = f"{server.url}/threads/"

    def jws(audience: str, jti: str, **note) -> str:
        now = int(time.time())
        claims = {
            "aud": audience,
            "iat": now,
            "exp": now + 300,
            "jti": jti,
            "object": {"type": "Note", "content": "Hello", **note},
        }
        return vendor.key.sign(claims, "pds-message+jwt")

    def post(url: str, body: str) -> int:
        headers = {"Content-Type": "application/jwt"}
        return requests.post(url, data=body, headers=headers, timeout=10).status_code

    assert post(relayed.url, jws(relayed.url, "same-jti-1")) == 201
    assert post(inbox, jws(inbox, "same-jti-1", name="Your order")) == 201

    proof = make_proof(vendor.key, "GET", relayed.url)
    assert requests.get(relayed.url, headers={"DPoP": proof}, timeout=10).status_code == 200
    reused = proof_claims_reused(vendor.key, proof, inbox)
    assert requests.get(inbox, headers={"DPoP": reused}, timeout=10).status_code == 200

    (direct,) = vendor.client.threads()
    for n in range(vendor_thread_rules.MESSAGES_PER_THREAD_HOUR - 1):
        direct.send(f"message {n}")
    relayed.send("The relayed thread has its own count.")


def proof_claims_reused(key: VendorKey, proof: str, url: str) -> str:
    """A new proof for `url` with the same jti as `proof`."""
    payload = proof.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return key.sign({**claims, "htu": url}, "dpop+jwt")


def test_concurrent_messages_cannot_pass_the_caps(server, owner, published):
    key = VendorKey.generate()
    thread = offer(published, key).thread()
    bodies = [
        sign_message(key, thread.url, f"message {n}")
        for n in range(vendor_thread_rules.MESSAGES_PER_THREAD_HOUR + 10)
    ]

    def post(body: str) -> int:
        headers = {"Content-Type": "application/jwt"}
        return requests.post(thread.url, data=body, headers=headers, timeout=30).status_code

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(post, bodies))

    assert statuses.count(201) == vendor_thread_rules.MESSAGES_PER_THREAD_HOUR
    assert set(statuses) == {201, 429}
    assert stored_messages(server) == vendor_thread_rules.MESSAGES_PER_THREAD_HOUR
