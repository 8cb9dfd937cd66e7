"""Conversations through the pod (§15): started by an offer, by a vendor with a grant, or by the
customer; vendors read only their own threads; closed threads, floods, oversized and replayed
messages are refused and nothing is stored. Over the live server, on both backends, with
vendors using vendor_client."""

from __future__ import annotations

import base64
import concurrent.futures
import dataclasses
import datetime as dt
import json
import re
import time
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa

from pds import schemas
from pds.consent import messages as message_rules
from pds.consent import threads as thread_rules
from pds.consent import vendor_threads as vendor_thread_rules
from pds.store.tables import thread_messages
from tests.relay.relay_setup import Receiver
from tests.server.test_my_data_page import signed_in
from tests.server.vendor_setup import EMAIL, INTENT, TURTLE, Vendor, granted, new_vendor
from vendor_client import (
    NotFound,
    PodClient,
    RateLimited,
    RelayClient,
    ThreadClosed,
    ThreadFull,
    TooLarge,
    VendorKey,
    make_proof,
    send_offer,
)
from vendor_client.threads import Thread, sign_message


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)


def offer(intent: dict, key: VendorKey, name: str = "Leeds Motors", **extra):
    return send_offer(
        intent,
        key,
        vendor={"name": name},
        summary="2019 Honda Jazz 1.3, automatic",
        price="12999.00",
        currency="GBP",
        valid_until=(dt.date.today() + dt.timedelta(days=14)).isoformat(),
        **extra,
    )


def stored_messages(server) -> int:
    with server.store.read() as conn:
        query = sa.select(sa.func.count()).where(thread_messages.c.pod_id == server.pod.id)
        return int(conn.execute(query).scalar_one())


def owner_threads(server, owner) -> dict:
    response = owner.get(f"{server.url}/owner/threads", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_offer_starts_a_thread_and_the_customer_answers_it(server, owner, published):
    key = VendorKey.generate()
    sent = offer(published, key)
    thread = sent.thread()
    assert thread.read().messages == []  # nobody has written: an empty, open thread

    thread.send("Happy to arrange a test drive on Saturday.\nIt has a full service history.")

    listed = owner_threads(server, owner)
    assert listed["unread"] == 1
    (summary,) = listed["threads"]
    assert summary["vendor"]["name"] == "Leeds Motors"
    assert summary["subject"] == "Offer for: A small reliable car"
    assert (summary["started_by"], summary["unread"]) == ("offer", 1)
    opened = owner.get(f"{server.url}/owner/threads/{summary['id']}", timeout=10).json()
    assert [m["text"] for m in opened["messages"]] == [
        "Happy to arrange a test drive on Saturday.\nIt has a full service history."
    ]
    assert owner_threads(server, owner)["unread"] == 0  # reading it marked it read

    answer = owner.post(
        f"{server.url}/owner/threads/{summary['id']}/messages",
        json={"text": "Saturday at 10 suits me."},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    replies = thread.wait_for_reply(timeout=5, after=thread.read().messages[0].id, interval=0.1)
    assert [(r.text, r.from_customer) for r in replies] == [("Saturday at 10 suits me.", True)]


def test_a_vendor_reads_only_its_own_threads(server, owner, published):
    dealer, other = VendorKey.generate(), VendorKey.generate()
    sent = offer(published, dealer)
    sent.thread().send("Hello from the dealer.")
    offer(published, other, "York Cars")

    # Another vendor's key at the same address: the thread does not exist for it.
    with pytest.raises(NotFound):
        Thread(sent.status_url + "/thread", other).read()
    with pytest.raises(NotFound):
        Thread(sent.status_url + "/thread", other).send("Psst, a better price here.")
    thread_id = owner_threads(server, owner)["threads"][0]["id"]
    with pytest.raises(NotFound):
        PodClient(server.url, other).thread(f"{server.url}/threads/{thread_id}").read()
    assert PodClient(server.url, other).threads() == []
    assert stored_messages(server) == 1


def test_a_closed_thread_refuses_messages_until_it_is_opened_again(server, owner, published):
    key = VendorKey.generate()
    thread = offer(published, key).thread()
    thread.send("First message.")
    thread_id = owner_threads(server, owner)["threads"][0]["id"]

    closed = owner.patch(
        f"{server.url}/owner/threads/{thread_id}", json={"state": "closed"}, timeout=10
    )
    assert closed.json()["state"] == "closed"
    with pytest.raises(ThreadClosed) as refused:
        thread.send("Are you still there?")
    assert refused.value.status == 409
    assert "closed" in refused.value.problem["detail"]
    assert thread.read().state == "closed"
    customer = owner.post(
        f"{server.url}/owner/threads/{thread_id}/messages", json={"text": "x"}, timeout=10
    )
    assert customer.status_code == 409
    assert stored_messages(server) == 1

    owner.patch(f"{server.url}/owner/threads/{thread_id}", json={"state": "open"}, timeout=10)
    thread.send("Are you still there?")
    assert stored_messages(server) == 2


def test_oversized_flooding_and_replayed_messages_are_refused_and_not_stored(
    server, owner, published
):
    key = VendorKey.generate()
    thread = offer(published, key).thread()
    with pytest.raises(TooLarge) as too_long:
        thread.send("x" * (message_rules.MAX_TEXT + 1))
    assert too_long.value.status == 413
    huge = requests.post(
        thread.url,
        data=b"e" * 20000,
        headers={"Content-Type": "application/jwt"},
        timeout=10,
    )
    assert huge.status_code == 413
    assert stored_messages(server) == 0

    signed = sign_message(key, thread.url, "Once only.")
    first = requests.post(
        thread.url, data=signed, headers={"Content-Type": "application/jwt"}, timeout=10
    )
    again = requests.post(
        thread.url, data=signed, headers={"Content-Type": "application/jwt"}, timeout=10
    )
    assert (first.status_code, again.status_code) == (201, 422)
    assert "already sent" in again.json()["detail"]

    for n in range(vendor_thread_rules.MESSAGES_PER_THREAD_HOUR - 1):
        thread.send(f"message {n}")
    with pytest.raises(RateLimited) as flooded:
        thread.send("one too many")
    assert flooded.value.status == 429 and flooded.value.retry_after
    assert stored_messages(server) == vendor_thread_rules.MESSAGES_PER_THREAD_HOUR


def test_messages_must_be_signed_notes_for_this_address(server, owner, published):
    key = VendorKey.generate()
    thread = offer(published, key).thread()
    wrong_address = sign_message(key, thread.url + "x", "Hello")
    html = key.sign(
        {
            "aud": thread.url,
            "iat": 1,
            "exp": 2,
            "jti": "abcdefghij",
            "object": {"type": "Note", "content": "<b>hi</b>", "mediaType": "text/html"},
        },
        "pds-message+jwt",
    )
    for body, expected in (
        (wrong_address, "aud"),
        (html, "expired"),
        ("not a jws", "compact JWS"),
    ):
        response = requests.post(
            thread.url, data=body, headers={"Content-Type": "application/jwt"}, timeout=10
        )
        assert response.status_code in (400, 422), response.text
        assert response.headers["Content-Type"] == "application/problem+json"
        assert expected in response.json()["detail"]
    plain = requests.post(
        thread.url, data="hello", headers={"Content-Type": "text/plain"}, timeout=10
    )
    assert plain.status_code == 415 and plain.headers["Accept-Post"] == "application/jwt"
    assert stored_messages(server) == 0


@pytest.fixture
def callbacks() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


def listening_vendor(server, owner, callback: str) -> Vendor:
    """A vendor that holds a live grant (email addresses) with a callback."""
    vendor = new_vendor(server)
    pending = vendor.client.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}],
        purpose="https://w3id.org/dpv#ServiceProvision",
        description="to send your order confirmations",
        duration=dt.timedelta(days=1),
        vendor={"name": "Example Shop"},
        callback=callback,
    )
    owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve", timeout=10)
    vendor.grant = pending.wait(timeout=5)
    return vendor


def test_a_vendor_with_a_grant_starts_a_thread_and_hears_the_answer_at_its_callback(
    server, owner, customer_data, callbacks
):
    vendor = listening_vendor(server, owner, callbacks.callback)

    thread = vendor.client.start_thread("Your order SO-1042", "It ships on Monday.")
    assert thread.url.startswith(f"{server.url}/threads/")
    (listed,) = owner_threads(server, owner)["threads"]
    assert (listed["subject"], listed["started_by"]) == ("Your order SO-1042", "vendor")
    owner.post(
        f"{server.url}/owner/threads/{listed['id']}/messages",
        json={"text": "Thanks!"},
        timeout=10,
    )
    received = callbacks.wait_for(1)  # delivered by the pod's background thread
    notices = [vendor.client.verify_notification(r.body) for r in received]
    assert [(n["type"], n["object"]) for n in notices] == [("Message", thread.url)]
    assert [m.text for m in thread.read().messages] == ["It ships on Monday.", "Thanks!"]
    assert [t.url for t in vendor.client.threads()] == [thread.url]


def test_a_vendor_without_a_live_grant_cannot_start_a_thread(server, owner, customer_data):
    stranger = PodClient(server.url, VendorKey.generate())
    with pytest.raises(NotFound):
        stranger.start_thread("Special offer", "Buy now!")
    expired = granted(server, owner, new_vendor(server), [{"resource": "/profile"}])
    owner.post(f"{server.url}/owner/grants/{expired.grant.id}/revoke", timeout=10)
    with pytest.raises(NotFound):
        expired.client.start_thread("Come back", "We miss you.")
    assert stored_messages(server) == 0


def test_the_customer_writes_first_to_a_vendor_with_a_grant(server, owner, customer_data):
    vendor = granted(server, owner, new_vendor(server), [{"resource": "/profile"}])
    started = owner.post(
        f"{server.url}/owner/threads",
        json={"vendor": vendor.id, "subject": "Delivery", "text": "Please leave it next door."},
        timeout=10,
    )
    assert started.status_code == 201, started.text
    (thread,) = vendor.client.threads()
    state = thread.read()
    assert (state.subject, [m.text for m in state.messages]) == (
        "Delivery",
        ["Please leave it next door."],
    )
    nobody = owner.post(
        f"{server.url}/owner/threads",
        json={"vendor": VendorKey.generate().thumbprint, "subject": "Hi", "text": "Hello"},
        timeout=10,
    )
    assert nobody.status_code == 422


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form"
    return found.group(1)


def test_the_page_shows_messages_as_text_and_answers_without_javascript(server, owner, published):
    page_session = signed_in(server)
    key = VendorKey.generate()
    thread = offer(published, key).thread()
    thread.send('<script>alert("hi")</script> <b>bold</b>')
    listed = page_session.get(f"{server.url}/app/messages", timeout=10)
    assert "1 new" in listed.text
    thread_id = owner_threads(server, owner)["threads"][0]["id"]
    page = page_session.get(f"{server.url}/app/messages/{thread_id}", timeout=10)
    assert "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text
    csrf = csrf_of(page.text)
    (theirs,) = thread.read().messages
    sent = page_session.post(
        f"{server.url}/app/messages/{thread_id}",
        data={"csrf_token": csrf, "text": "No scripts, thanks."},
        timeout=10,
    )
    assert sent.status_code == 200 and "No scripts, thanks." in sent.text
    replies = thread.wait_for_reply(timeout=5, after=theirs.id, interval=0.1)
    assert [r.text for r in replies] == ["No scripts, thanks."]


@pytest.fixture
def relay(loopback_relay):
    return loopback_relay


def test_through_a_relay_the_vendor_talks_without_learning_the_pod(
    server, owner, customer_data, relay
):
    sample = schemas.sample_documents()[INTENT]
    owner.put(f"{server.url}/data{INTENT}", data=sample.encode(), headers=TURTLE)
    owner.put(f"{server.url}/owner/relays", json={"relays": [relay.url]}, timeout=10)
    owner.post(f"{server.url}/owner/intents/small-car/publish", timeout=10)
    key = VendorKey.generate()
    [intent] = list(RelayClient(relay.url, key).intents(category="916"))
    thread = offer(intent, key).thread()
    assert thread.url.startswith(relay.url + "/replies/")

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
    direct = thread.url.replace(relay.url, server.url)
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
