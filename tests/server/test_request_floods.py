"""Access-request floods (§13.7): fresh keys cost nothing, so requests are capped per network
and per pod as well as per key (429 with Retry-After, nothing stored), and the customer sees a
flood from one network as one line, with one button to say no to all of it."""

from __future__ import annotations

import concurrent.futures

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ed25519

from pds.consent import requests as access_requests
from tests.server.test_my_data_page import Page, signed_in
from tests.server.test_vendor_hostile_requests import signed_request


@pytest.fixture
def settings(settings):
    # Behind one trusted proxy, so that tests can come from several networks over loopback.
    return type(settings)(**{**settings.__dict__, "trusted_proxies": 1})


def ask(server, network: str, name: str = "Flood Shop"):
    key = ed25519.Ed25519PrivateKey.generate()  # a fresh key every time
    signed = signed_request(server, key, vendor={"name": name})
    return submit_from(server, signed, network)


def submit_from(server, signed: str, address: str):
    return requests.post(
        f"{server.url}/access-requests",
        data=signed,
        headers={"Content-Type": "application/jwt", "X-Forwarded-For": address},
        timeout=10,
    )


def pending(owner, server) -> list[dict]:
    listed = owner.get(f"{server.url}/owner/access-requests?status=pending", timeout=10)
    return listed.json()["requests"]


def test_fresh_keys_from_one_network_are_capped(server, owner):
    cap = access_requests.REQUESTS_PER_CLIENT_HOUR
    for _ in range(cap):
        assert ask(server, "203.0.113.7").status_code == 202

    refused = ask(server, "203.0.113.7")

    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "from one network" in refused.json()["detail"]
    assert len(pending(owner, server)) == cap  # the refused one was not stored
    assert ask(server, "198.51.100.1").status_code == 202  # another network is not held up


def test_an_ipv6_network_counts_as_one_client(server, owner):
    cap = access_requests.REQUESTS_PER_CLIENT_HOUR
    for i in range(cap):
        assert ask(server, f"2001:db8:1:2::{i + 1:x}").status_code == 202
    assert ask(server, "2001:db8:1:2:ffff::1").status_code == 429  # the same /64
    assert ask(server, "2001:db8:1:3::1").status_code == 202


def test_pending_requests_are_capped_per_pod(server, owner, monkeypatch):
    monkeypatch.setattr(access_requests, "MAX_PENDING", 4)
    for i in range(4):
        assert ask(server, f"192.0.2.{i + 1}").status_code == 202

    refused = ask(server, "192.0.2.100")

    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
    assert "requests waiting already" in refused.json()["detail"]
    assert len(pending(owner, server)) == 4


def test_the_customer_sees_a_flood_as_one_line_and_says_no_to_all_of_it(server, owner):
    for i in range(8):
        assert ask(server, "203.0.113.9", name=f"Shop {i}").status_code == 202
    assert ask(server, "198.51.100.20", name="Honest Shop").status_code == 202
    browser = signed_in(server)

    page = browser.get(f"{server.url}/app/requests", timeout=10).text

    parsed = Page(page)
    assert parsed.text["flood-1-title"].strip() == "8 requests from one network address"
    assert "flood-2-title" not in parsed.text
    assert "203.0.113.9" in parsed.text["flood-1"]
    assert page.count("<details") == 1  # the flood's cards are folded away, the honest one not
    assert page.index("Honest Shop") > page.index("</details>")

    deny_all = parsed.submission("/app/requests/deny-all")
    said = browser.post(f"{server.url}/app/requests/deny-all", data=deny_all, timeout=10)

    assert said.status_code == 200 and "You said no to 8 requests." in said.text
    [left] = pending(owner, server)
    assert left["vendor"]["name"] == "Honest Shop"


def test_deny_all_without_the_csrf_token_changes_nothing(server, owner):
    for i in range(3):
        assert ask(server, "203.0.113.10", name=f"Shop {i}").status_code == 202
    browser = signed_in(server)
    parsed = Page(browser.get(f"{server.url}/app/requests", timeout=10).text)
    forged = [(n, v) for n, v in parsed.submission("/app/requests/deny-all") if n != "csrf_token"]

    response = browser.post(f"{server.url}/app/requests/deny-all", data=forged, timeout=10)

    assert response.status_code in (400, 403)
    assert len(pending(owner, server)) == 3


def test_concurrent_requests_from_one_network_cannot_pass_the_cap(server, owner):
    cap = access_requests.REQUESTS_PER_CLIENT_HOUR
    signed = [
        signed_request(server, ed25519.Ed25519PrivateKey.generate(), vendor={"name": "Rush"})
        for _ in range(cap + 15)
    ]

    def send(body: str) -> int:
        return submit_from(server, body, "203.0.113.9").status_code

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(send, signed))

    assert statuses.count(202) == cap and set(statuses) == {202, 429}
    assert len(pending(owner, server)) == cap
