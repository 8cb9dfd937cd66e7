"""A vendor using only vendor_client, against the real pod on loopback, on both backends."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

import vendor_client
from pds import schemas
from vendor_client import PodClient, VendorKey

SCHEMA = "https://schema.org/"
EMAIL, NAME = SCHEMA + "email", SCHEMA + "name"
PURPOSE = "https://w3id.org/dpv#ServiceProvision"


@pytest.fixture
def profile(server, owner):
    sample = schemas.sample_documents()["/profile"]
    response = owner.put(
        f"{server.url}/data/profile", data=sample.encode(), headers={"Content-Type": "text/turtle"}
    )
    assert response.status_code == 201
    return sample


def ask_for_email_and_name(pod: PodClient, callback: str | None = None):
    return pod.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL, NAME]}],
        purpose=PURPOSE,
        description="to send you your order confirmations",
        duration=dt.timedelta(days=30),
        vendor={"name": "Example Shop", "homepage": "https://shop.example"},
        callback=callback,
    )


def test_vendor_reads_exactly_what_was_granted_until_the_owner_revokes(server, owner, profile):
    pod = PodClient(server.url, VendorKey.generate())
    config = pod.discover()
    assert config.fields("/profile")[EMAIL] == "Email address"
    pending = ask_for_email_and_name(pod)

    listed = owner.get(f"{server.url}/owner/access-requests", params={"status": "pending"}).json()
    [request] = listed["requests"]
    assert request["id"] == pending.id
    assert request["vendor"] == {
        "name": "Example Shop",
        "homepage": "https://shop.example",
        "verified": False,  # a documentation name: its domain proof (§18) is never read
        "domain": "shop.example",
        "domain_checked_at": request["vendor"]["domain_checked_at"],
        "domain_problem": "shop.example is a name reserved for examples and tests",
    }
    assert request["vendor_id"] == pod.vendor_id
    assert request["scopes"][0]["field_names"] == ["Email address", "Full name"]
    assert pending.status()["status"] == "pending"

    narrower = {
        "scopes": [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}],
        "duration_seconds": 3600,
    }
    approved = owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve", json=narrower)
    assert approved.status_code == 201, approved.text

    grant = pending.wait(timeout=10)
    assert grant.scopes == narrower["scopes"]
    assert (
        dt.timedelta(minutes=59)
        < grant.expires_at - dt.datetime.now(dt.UTC)
        <= dt.timedelta(hours=1)
    )

    receipt = pod.verify_receipt(grant)
    assert receipt["consentReceiptID"] == grant.id
    assert receipt["piiControllers"][0]["id"] == pod.vendor_id
    assert receipt["services"][0]["purposes"][0]["piiCategory"] == ["/profile: Email address"]

    graph = pod.read("/profile", grant)
    predicates = {str(p) for _, p, _ in graph}
    assert predicates == {EMAIL}
    sample = Graph().parse(data=profile, format="turtle", publicID=f"{server.url}/data/profile")
    only_emails = Graph()
    for triple in sample.triples((None, URIRef(EMAIL), None)):
        only_emails.add(triple)
    assert len(only_emails) == 2 and isomorphic(graph, only_emails)
    assert (None, URIRef(NAME), None) not in graph

    revoked = owner.post(f"{server.url}/owner/grants/{grant.id}/revoke")
    assert revoked.json()["state"] == "revoked"
    with pytest.raises(vendor_client.GrantRevoked):
        pod.read("/profile", grant)

    events = owner.get(f"{server.url}/owner/audit").json()["events"]
    story = [
        (e["action"], e["outcome"])
        for e in reversed(events)
        if e["actor"] != "owner" or e["action"].startswith(("request", "grant"))
    ]
    assert story[-5:] == [
        ("request.submit", "pending"),
        ("request.approve", "ok"),
        ("data.read", "allowed"),
        ("grant.revoke", "ok"),
        ("data.read", "refused"),
    ]
    by_grant = owner.get(f"{server.url}/owner/audit", params={"grant": grant.id}).json()["events"]
    assert [e["action"] for e in by_grant] == [
        "data.read",
        "grant.revoke",
        "data.read",
        "request.approve",
    ]
    refused = events[0]
    assert refused["actor"] == pod.vendor_id and refused["resource"] == "/profile"
    assert refused["detail"]["reason"] == "the grant was revoked"
    emails = [str(o) for o in graph.objects(None, URIRef(EMAIL))]
    assert emails and not any(e in str(events) for e in emails), "the audit holds data"
    assert grant.token not in str(events), "the audit holds the grant token"


def test_the_status_list_shows_a_revoked_grant(server, owner, profile):
    from pds.consent.status_list import is_set

    pod = PodClient(server.url, VendorKey.generate("ES256"))
    pending = ask_for_email_and_name(pod)
    owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve")
    grant = pending.wait(timeout=10)
    index = owner.get(f"{server.url}/owner/grants/{grant.id}").json()["status_index"]
    status_url = pod.discover().raw["status_list_uri"]

    listing = pod.session.get(status_url, timeout=10).json()
    assert not is_set(listing["credentialSubject"]["encodedList"], index)
    owner.post(f"{server.url}/owner/grants/{grant.id}/revoke")
    listing = pod.session.get(status_url, timeout=10).json()
    assert is_set(listing["credentialSubject"]["encodedList"], index)


def test_denied_request_raises_request_denied(server, owner, profile):
    pod = PodClient(server.url, VendorKey.generate())
    pending = ask_for_email_and_name(pod)
    assert owner.post(f"{server.url}/owner/access-requests/{pending.id}/deny").ok
    with pytest.raises(vendor_client.RequestDenied):
        pending.wait(timeout=5)


def test_a_vendor_can_give_a_grant_back(server, owner, profile):
    pod = PodClient(server.url, VendorKey.generate())
    pending = ask_for_email_and_name(pod)
    owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve")
    grant = pending.wait(timeout=10)
    pod.give_back(grant)
    assert owner.get(f"{server.url}/owner/grants/{grant.id}").json()["state"] == "returned"
    with pytest.raises(vendor_client.GrantRevoked):
        pod.read("/profile", grant)


def test_append_writes_only_into_the_vendors_own_container(server, owner, profile):
    pod = PodClient(server.url, VendorKey.generate())
    own = f"/vendors/{pod.vendor_id}/"
    pending = pod.request_access(
        [{"resource": own, "modes": ["read", "append"]}],
        purpose=PURPOSE,
        description="to keep your receipts and warranties in your pod",
        duration=dt.timedelta(days=365),
        vendor={"name": "Example Shop"},
    )
    owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve")
    grant = pending.wait(timeout=10)

    receipt = '<#it> <https://schema.org/name> "Receipt 17" .'
    url = pod.append(own, receipt, grant, slug="receipt-17")
    assert url == f"{server.url}/data{own}receipt-17"
    stored = owner.get(url).text
    assert "Receipt 17" in stored
    assert (None, URIRef(NAME), Literal("Receipt 17")) in pod.read(own + "receipt-17", grant)

    with pytest.raises(vendor_client.AccessDenied):
        pod.append("/vendors/" + "x" * 43 + "/", receipt, grant)
    with pytest.raises(vendor_client.AccessDenied):
        pod.append("/", receipt, grant)
    with pytest.raises(vendor_client.AccessDenied):
        pod.read("/profile", grant)


class _Callbacks(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(body)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def callback_server():
    handler = type("Handler", (_Callbacks,), {"received": []})
    http = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}/pod-events", handler.received
    http.shutdown()
    http.server_close()


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def test_vendors_are_told_of_changes_and_revocation_signed_by_the_pod(
    server, owner, profile, callback_server
):
    url, received = callback_server
    pod = PodClient(server.url, VendorKey.generate())
    pending = ask_for_email_and_name(pod, callback=url)
    owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve")
    grant = pending.wait(timeout=10)

    # The grant covers email and name: a new phone number is none of the vendor's business.
    phone = (
        'PREFIX schema: <https://schema.org/> INSERT { ?p schema:telephone "+44 20 7946 0000" }'
        " WHERE { ?p a schema:Person }"
    )
    assert owner.patch(
        f"{server.url}/data/profile",
        data=phone,
        headers={"Content-Type": "application/sparql-update"},
    ).ok
    time.sleep(1.0)
    assert received == []

    update = (
        "PREFIX schema: <https://schema.org/> DELETE { ?p schema:email ?e } "
        'INSERT { ?p schema:email "moved@example.org" } '
        "WHERE { ?p a schema:Person ; schema:email ?e }"
    )
    assert owner.patch(
        f"{server.url}/data/profile",
        data=update,
        headers={"Content-Type": "application/sparql-update"},
    ).ok
    wait_for(lambda: len(received) == 1)
    changed = pod.verify_notification(received[0])
    assert changed["type"] == "Update"
    assert changed["object"] == f"{server.url}/data/profile"
    assert changed["grant"] == grant.id

    owner.post(f"{server.url}/owner/grants/{grant.id}/revoke")
    wait_for(lambda: len(received) == 2)
    revoked = pod.verify_notification(received[1])
    assert revoked["type"] == "Revoke" and revoked["grant"] == grant.id

    other = PodClient(server.url, VendorKey.generate())
    with pytest.raises(vendor_client.ProtocolError):
        other.verify_notification(received[1])  # addressed to another vendor
