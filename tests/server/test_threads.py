"""Conversations through the pod (§15): started by an offer, by a vendor with a grant, or by the
customer; vendors read only their own threads; closed threads, floods, oversized and replayed
messages are refused and nothing is stored. Over the live server, on both backends, with
vendors using vendor_client."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest
import requests

from pds.consent import messages as message_rules
from pds.consent import vendor_threads as vendor_thread_rules
from tests.relay.relay_setup import Receiver
from tests.server.test_my_data_page import signed_in
from tests.server.thread_setup import listening_vendor, offer, owner_threads, stored_messages
from tests.server.vendor_setup import granted, new_vendor
from vendor_client import (
    NotFound,
    PodClient,
    RateLimited,
    ThreadClosed,
    TooLarge,
    VendorKey,
)
from vendor_client.threads import Thread, sign_message


@pytest.fixture
def callbacks() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)


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
