"""Who was told about your changes: the page lists each change with every vendor sent a notice
of it, and whether the vendor's callback acknowledged it, is failing, or was given up."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pds import schemas
from pds.consent import open_pod
from pds.consent.told import DataChange
from tests.server.test_my_data_page import signed_in
from tests.server.vendor_setup import EMAIL, PURPOSE, TURTLE
from vendor_client import Grant, PodClient, VendorKey

ADDRESS = "https://schema.org/address"
PROFILE = schemas.sample_documents()["/profile"]


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)  # vendors on loopback


@dataclasses.dataclass
class Callback:
    """A vendor's callback on loopback that answers every POST with `status`."""

    url: str
    received: list[str]


@pytest.fixture
def callback() -> Iterator[Callable[[int], Callback]]:
    servers: list[ThreadingHTTPServer] = []

    def answering(status: int) -> Callback:
        received: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                received.append(self.rfile.read(length).decode("ascii"))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(http)
        threading.Thread(
            target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return Callback(f"http://127.0.0.1:{http.server_port}/pds-events", received)

    yield answering
    for http in servers:
        http.shutdown()
        http.server_close()


@dataclasses.dataclass
class Vendor:
    name: str
    pod: PodClient
    grant: Grant


def vendor(server, owner, name: str, fields: list[str], callback: Callback | None) -> Vendor:
    pod = PodClient(server.url, VendorKey.generate())
    pending = pod.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": fields}],
        purpose=PURPOSE,
        description="to keep your details up to date",
        duration=dt.timedelta(days=30),
        vendor={"name": name},
        callback=callback.url if callback else None,
    )
    approved = owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve")
    assert approved.status_code == 201, approved.text
    return Vendor(name, pod, pending.wait(timeout=10))


@pytest.fixture
def profile(server, owner) -> None:
    response = owner.put(f"{server.url}/data/profile", data=PROFILE.encode(), headers=TURTLE)
    assert response.status_code == 201, response.text


def put_profile(server, owner, text: str) -> None:
    response = owner.put(f"{server.url}/data/profile", data=text.encode(), headers=TURTLE)
    assert response.status_code in (200, 204), response.text


def new_address(street: str) -> str:
    return PROFILE.replace("1 Example Street", street)


def settled(server, changes: int = 1) -> list[DataChange]:
    """The latest changes, once every notice of them has been tried at least once."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = server.pod.notices.recent()
        if len(found) >= changes and all(d.attempts for c in found[:changes] for d in c.deliveries):
            return found
        time.sleep(0.05)
    raise AssertionError(f"the notices were not all tried: {server.pod.notices.recent()}")


class ToldPage(HTMLParser):
    """Each change's heading, and for each vendor told of it: its grant, state and sentence."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.changes: list[dict] = []
        self.hint = ""
        self._in: str | None = None
        self.feed(html)
        for change in self.changes:
            for told in change["told"].values():
                told["text"] = " ".join(told["text"].split())

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "article":
            self.changes.append({"heading": "", "told": {}})
        elif tag == "h2" and self.changes and self._in is None:
            self._in = "heading"
        elif tag == "li" and "data-grant" in attributes:
            grant = attributes["data-grant"]
            self.changes[-1]["told"][grant] = {"state": attributes["data-state"], "text": ""}
            self._in = grant
        elif attributes.get("id") == "without-callback":
            self._in = "hint"

    def handle_endtag(self, tag):
        if tag in ("h2", "li", "p"):
            self._in = None

    def handle_data(self, data):
        if self._in == "heading":
            self.changes[-1]["heading"] += data
        elif self._in == "hint":
            self.hint += data
        elif self._in is not None:
            self.changes[-1]["told"][self._in]["text"] += data


def told_page(browser, server) -> ToldPage:
    response = browser.get(f"{server.url}/app/told", timeout=10)
    assert response.status_code == 200, response.text
    return ToldPage(response.text)


def test_a_new_address_shows_who_acknowledged_who_is_failing_and_not_who_cannot_see_it(
    server, owner, profile, callback
):
    dealer_inbox, insurer_inbox, newsletter_inbox = callback(204), callback(500), callback(204)
    dealer = vendor(server, owner, "Dealer Ltd", [ADDRESS], dealer_inbox)
    insurer = vendor(server, owner, "Insurer plc", [ADDRESS, EMAIL], insurer_inbox)
    newsletter = vendor(server, owner, "Newsletter Co", [EMAIL], newsletter_inbox)

    put_profile(server, owner, new_address("2 New Street"))
    settled(server)
    page = told_page(signed_in(server), server)

    [change] = page.changes
    assert change["heading"].startswith("You changed your profile, ")
    told = change["told"]
    assert set(told) == {dealer.grant.id, insurer.grant.id}
    assert told[dealer.grant.id]["state"] == "acknowledged"
    assert told[dealer.grant.id]["text"].startswith(
        "Dealer Ltd (sees your postal address) — acknowledged "
    )
    assert told[insurer.grant.id]["state"] == "failing"
    assert told[insurer.grant.id]["text"].startswith(
        "Insurer plc (sees your email address and postal address) — not acknowledged yet "
        "(1 failed attempt, trying again at "
    )
    assert "(the callback answered 500)" in told[insurer.grant.id]["text"]
    assert newsletter.grant.id not in str(page.changes)
    assert newsletter.name not in page.html
    assert newsletter_inbox.received == []

    # What was sent is the pod's own signed notice, verified with its published keys.
    [body] = dealer_inbox.received
    claims = dealer.pod.verify_notification(body)
    assert (claims["type"], claims["grant"]) == ("Update", dealer.grant.id)
    assert claims["object"] == f"{server.url}/data/profile"
    assert claims["aud"] == dealer.pod.key.thumbprint
    assert insurer.pod.verify_notification(insurer_inbox.received[0])["grant"] == insurer.grant.id


def test_two_quick_changes_are_listed_apart_newest_first(server, owner, profile, callback):
    inbox = callback(204)
    dealer = vendor(server, owner, "Dealer Ltd", [ADDRESS], inbox)

    put_profile(server, owner, new_address("2 New Street"))
    put_profile(server, owner, new_address("3 Newer Street"))
    changes = settled(server, changes=2)

    assert [c.kind for c in changes] == ["changed", "changed"]
    assert changes[0].at > changes[1].at
    assert [[d.grant_id for d in c.deliveries] for c in changes] == [[dealer.grant.id]] * 2
    assert len(told_page(signed_in(server), server).changes) == 2


def test_a_change_no_vendor_sees_and_a_revocation_are_not_listed(server, owner, profile, callback):
    inbox = callback(204)
    dealer = vendor(server, owner, "Dealer Ltd", [ADDRESS], inbox)

    put_profile(server, owner, PROFILE.replace("+44 20 7946 0958", "+44 20 7946 0000"))
    revoked = owner.post(f"{server.url}/owner/grants/{dealer.grant.id}/revoke")
    assert revoked.status_code == 200, revoked.text
    deadline = time.monotonic() + 10
    while not inbox.received and time.monotonic() < deadline:
        time.sleep(0.05)

    assert dealer.pod.verify_notification(inbox.received[0])["type"] == "Revoke"
    assert server.pod.notices.recent() == []
    page = told_page(signed_in(server), server)
    assert page.changes == []
    assert "No change of yours has been sent to a vendor yet." in page.html


def test_a_vendor_without_a_callback_is_named_as_one_that_cannot_be_told(
    server, owner, profile, callback
):
    vendor(server, owner, "Quiet Shop", [ADDRESS], None)
    vendor(server, owner, "Dealer Ltd", [ADDRESS], callback(204))

    put_profile(server, owner, new_address("2 New Street"))
    settled(server)
    page = told_page(signed_in(server), server)

    assert "cannot be told" in page.hint and "That is Quiet Shop." in page.hint
    assert [t["text"].split(" (")[0] for t in page.changes[0]["told"].values()] == ["Dealer Ltd"]


def test_the_pod_gives_up_after_the_last_retry_and_says_so(server, owner, profile, callback):
    insurer = vendor(server, owner, "Insurer plc", [ADDRESS], callback(500))
    put_profile(server, owner, new_address("2 New Street"))
    settled(server)  # the first attempt, by the server's own background delivery

    # The same pod later on: each retry is due only after its delay.
    now = [dt.datetime.now(dt.UTC)]
    later = open_pod(
        server.store, server.pod.id, server.url, allow_private_callbacks=True, clock=lambda: now[0]
    )
    for _retry in range(6):
        now[0] += dt.timedelta(hours=7)
        assert later.ctx.outbox.deliver_due() == 0
    [change] = server.pod.notices.recent()
    [delivery] = change.deliveries
    assert (delivery.state, delivery.failed_attempts) == ("gave up", 7)
    now[0] += dt.timedelta(days=30)
    later.ctx.outbox.deliver_due()
    assert server.pod.notices.recent()[0].deliveries[0].attempts == 7  # never tried again

    told = told_page(signed_in(server), server).changes[0]["told"][insurer.grant.id]
    assert told["text"].startswith(
        "Insurer plc (sees your postal address) — given up after 7 failed attempts"
    )


def test_the_page_needs_signing_in_and_is_linked_from_the_activity_page(server, owner, anonymous):
    response = anonymous.get(f"{server.url}/app/told", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert "/app/sign-in" in response.headers["Location"]
    activity = signed_in(server).get(f"{server.url}/app/activity", timeout=10).text
    assert '<a href="/app/told">Who was told about your changes</a>' in activity
