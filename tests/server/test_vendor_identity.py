"""A vendor proves its domain (protocol §18): the pod reads the well-known proof over HTTPS with
the SSRF guard, and shows a vendor as verified only when the site lists the vendor's key.

Each vendor site is a real HTTPS server on loopback, its certificate from a CA made for the
test; the pod is a development pod (`allow_private_callbacks`) that trusts that CA through
`SSL_CERT_FILE`, except where a test says it is not one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterator

import pytest

from pds.consent.vendor_identity import DEADLINE, READ_TIMEOUT, WELL_KNOWN_PATH
from tests.server.vendor_identity_site import (
    LocalCA,
    VendorSite,
    answer,
    answer_json,
    huge_proof_of,
    proof_of,
    redirect_to,
    slow_proof_of,
)
from vendor_client import PodClient, VendorKey, domain_proof

EMAIL = "https://schema.org/email"
PURPOSE = "https://w3id.org/dpv#ServiceProvision"
SHOP = "shop.localhost"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)  # vendors on loopback


@pytest.fixture
def ca(tmp_path, monkeypatch) -> LocalCA:
    ca = LocalCA(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.file))
    return ca


@pytest.fixture
def site(ca) -> Iterator[VendorSite]:
    site = VendorSite(ca, SHOP)
    yield site
    site.stop()


def ask(server, key: VendorKey, homepage: str | None) -> dict:
    """A vendor asks for the customer's email address; what the pod stored of the vendor."""
    vendor = {"name": "Example Shop"} | ({"homepage": homepage} if homepage else {})
    pending = PodClient(server.url, key).request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}],
        purpose=PURPOSE,
        description="to send you your order confirmations",
        duration=dt.timedelta(days=1),
        vendor=vendor,
    )
    told = pending.status().get("domain_proof")  # what the vendor reads of it
    return {"id": pending.id, "told": told, **server.pod.requests.get(pending.id).vendor}


def test_a_site_that_lists_the_key_verifies_the_vendor_and_its_grant(server, site, owner):
    key = VendorKey.generate()
    site.reply = proof_of("W" * 43, key.thumbprint)  # the vendor's key among others

    vendor = ask(server, key, f"https://{SHOP}:{site.port}/shop?from=pod")

    assert vendor["verified"] is True
    assert vendor["domain"] == SHOP
    assert "domain_problem" not in vendor
    assert vendor["told"] == {"domain": SHOP, "verified": True, "problem": None}
    checked = dt.datetime.fromisoformat(vendor["domain_checked_at"])
    assert abs(checked - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    # Only the well-known path was asked for, by the name the vendor gave, once.
    assert site.seen == [(WELL_KNOWN_PATH, f"{SHOP}:{site.port}")]

    approved = owner.post(f"{server.url}/owner/access-requests/{vendor['id']}/approve")
    assert approved.status_code == 201, approved.text
    assert approved.json()["vendor"]["verified"] is True
    assert approved.json()["vendor"]["domain"] == SHOP
    grant = server.pod.grants.get(approved.json()["id"])
    assert grant.receipt_claims()["piiControllers"][0]["verified"] is True


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_site_that_lists_other_keys_leaves_the_vendor_unverified(server, site):
    key = VendorKey.generate()
    site.reply = proof_of(VendorKey.generate().thumbprint)

    vendor = ask(server, key, f"https://{SHOP}:{site.port}/")

    assert vendor["verified"] is False
    assert vendor["domain"] == SHOP  # claimed, not proven
    assert vendor["domain_problem"] == f"{SHOP} does not list this vendor's key"
    assert vendor["told"] == {
        "domain": SHOP,
        "verified": False,
        "problem": vendor["domain_problem"],
    }
    assert len(site.proof_requests) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_what_vendor_client_serves_is_a_proof_the_pod_accepts(server, site):
    key, old_key = VendorKey.generate(), VendorKey.generate()
    site.reply = answer_json(domain_proof(old_key, key))

    assert ask(server, key, f"https://{SHOP}:{site.port}")["verified"] is True


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (
            lambda k: answer_json({"vendor_ids": k}),
            "the proof does not list at most 100 vendor ids",
        ),
        (lambda k: answer_json([k]), "the proof does not list at most 100 vendor ids"),
        (
            lambda k: answer_json({"vendor_ids": [k] * 101}),
            "the proof does not list at most 100 vendor ids",
        ),
        (
            lambda k: answer_json({"vendor_ids": [k]}, "text/html"),
            "the proof is not JSON (it is text/html)",
        ),
        (
            lambda k: answer(200, f'{{"vendor_ids": ["{k}"'.encode(), JSON),
            "the proof is not valid JSON",
        ),
        (lambda k: answer(404, b"{}", JSON), "the site answered 404 instead of the proof"),
    ],
    ids=["ids-not-a-list", "not-an-object", "too-many-ids", "html", "cut-short", "not-found"],
)
def test_anything_but_a_proof_leaves_the_vendor_unverified(server, site, reply, problem):
    key = VendorKey.generate()
    site.reply = reply(key.thumbprint)  # each names the vendor's key, and still proves nothing

    vendor = ask(server, key, f"https://{SHOP}:{site.port}/")

    assert (vendor["verified"], vendor["domain_problem"]) == (False, problem)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_plain_http_is_never_trusted(server, ca):
    key = VendorKey.generate()
    plain = VendorSite(None)  # no TLS at all
    plain.reply = proof_of(key.thumbprint)
    try:
        over_tls = ask(server, key, f"https://{SHOP}:{plain.port}/")
        http_homepage = ask(server, key, f"http://{SHOP}:{plain.port}/")
    finally:
        plain.stop()

    assert over_tls["verified"] is False
    assert over_tls["domain_problem"] == f"{SHOP} could not be reached securely (https failed)"
    assert http_homepage["verified"] is False
    assert http_homepage["domain_problem"] == (
        "the website address is not https, so the pod does not check it"
    )
    assert plain.proof_requests == []  # the TLS handshake failed before any request was sent


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_certificate_for_another_name_is_refused(server, ca):
    key = VendorKey.generate()
    impostor = VendorSite(ca, "other.localhost")  # a valid certificate, for another name
    impostor.reply = proof_of(key.thumbprint)
    try:
        vendor = ask(server, key, f"https://{SHOP}:{impostor.port}/")
    finally:
        impostor.stop()

    assert vendor["verified"] is False
    assert vendor["domain_problem"] == f"{SHOP} could not be reached securely (https failed)"
    assert impostor.proof_requests == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_redirect_is_not_followed(server, site):
    key = VendorKey.generate()
    # The redirect points to a path of the same site that would prove the key.
    replies = {WELL_KNOWN_PATH: redirect_to("/elsewhere"), "/elsewhere": proof_of(key.thumbprint)}
    site.reply = lambda handler: replies[handler.path](handler)

    vendor = ask(server, key, f"https://{SHOP}:{site.port}/")

    assert vendor["verified"] is False
    assert vendor["domain_problem"] == (
        "the site answered with a redirect, which the pod does not follow"
    )
    assert [path for path, _ in site.seen] == [WELL_KNOWN_PATH]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_huge_proof_is_refused(server, site):
    key = VendorKey.generate()
    site.reply = huge_proof_of(key.thumbprint)  # valid JSON, 1 MiB of it

    vendor = ask(server, key, f"https://{SHOP}:{site.port}/")

    assert vendor["verified"] is False
    assert vendor["domain_problem"] == "the proof is larger than 16 KiB"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_slow_site_is_given_up_and_the_vendor_still_gets_its_answer(server, site):
    key = VendorKey.generate()
    site.reply = slow_proof_of(key.thumbprint)  # it would prove the key, given 6 s

    started = time.monotonic()
    vendor = ask(server, key, f"https://{SHOP}:{site.port}/")
    took = time.monotonic() - started

    assert vendor["verified"] is False
    assert vendor["domain_problem"] == f"the site took more than {DEADLINE:g} s to answer"
    assert DEADLINE <= took < DEADLINE + 2, f"the request took {took:.1f} s"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_site_that_never_answers_is_given_up(server, site):
    key = VendorKey.generate()
    site.reply = lambda handler: time.sleep(READ_TIMEOUT + 2)  # headers never come

    started = time.monotonic()
    vendor = ask(server, key, f"https://{SHOP}:{site.port}/")
    took = time.monotonic() - started

    assert vendor["domain_problem"] == f"{SHOP} did not answer in time"
    assert READ_TIMEOUT <= took < READ_TIMEOUT + 1.5, f"the request took {took:.1f} s"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_documentation_domains_are_never_fetched(server):
    vendor = ask(server, VendorKey.generate(), "https://shop.example/")

    assert vendor["verified"] is False
    assert vendor["domain"] == "shop.example"
    assert vendor["domain_problem"] == "shop.example is a name reserved for examples and tests"


def test_a_vendor_without_a_homepage_has_no_domain_to_prove(server):
    vendor = ask(server, VendorKey.generate(), None)

    assert vendor == {"id": vendor["id"], "told": None, "name": "Example Shop", "verified": False}


class TestAProductionPod:
    """Without the development switch, nothing on this machine or a private network is read."""

    @pytest.fixture
    def settings(self, settings):
        return dataclasses.replace(settings, allow_private_callbacks=False)

    @pytest.mark.parametrize("backend", ["sqlite"])
    @pytest.mark.parametrize(
        ("host", "problem"),
        [
            (SHOP, f"{SHOP} is not a public domain name"),
            ("localhost", "localhost is not a public domain name"),
            ("127.0.0.1", "the website address does not name a domain"),
            ("[::1]", "the website address does not name a domain"),
        ],
    )
    def test_a_local_site_is_never_fetched(self, server, site, host, problem):
        key = VendorKey.generate()
        site.reply = proof_of(key.thumbprint)

        vendor = ask(server, key, f"https://{host}:{site.port}/")

        assert (vendor["verified"], vendor["domain_problem"]) == (False, problem)
        assert site.seen == []
