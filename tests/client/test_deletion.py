"""A vendor using only vendor_client is told to stop and delete, says it did, and keeps the pod's
signed receipt (protocol §19); it also learns of a shortened grant. Real pod on loopback, both
backends; the vendor's callback is a loopback server."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterator

import jwt
import pytest

import vendor_client
from pds import schemas
from tests.relay.relay_setup import Receiver
from vendor_client import DeletionReceipt, Notification, PodClient, VendorKey

EMAIL = "https://schema.org/email"
PURPOSE = "https://w3id.org/dpv#ServiceProvision"


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)


@pytest.fixture
def listening(server) -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    server.pod.ctx.outbox.deliverer.stop()  # else its thread outlives the test's database
    receiver.stop()


@pytest.fixture
def shop(server, owner, listening) -> tuple[PodClient, vendor_client.Grant]:
    """A shop given the customer's email address for 30 days, listening for notifications."""
    pod, pending = ask_and_approve(server, owner, "Example Shop", callback=listening.callback)
    return pod, pending.wait(timeout=10)


def ask_and_approve(
    server, owner, name: str, callback: str | None = None
) -> tuple[PodClient, vendor_client.PendingRequest]:
    """A new vendor asks for the customer's email address for 30 days; the customer approves."""
    sample = schemas.sample_documents()["/profile"]
    headers = {"Content-Type": "text/turtle"}
    assert owner.put(f"{server.url}/data/profile", data=sample.encode(), headers=headers).ok
    pod = PodClient(server.url, VendorKey.generate())
    pending = pod.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}],
        purpose=PURPOSE,
        description="to send you your order confirmations",
        duration=dt.timedelta(days=30),
        vendor={"name": name},
        callback=callback,
    )
    assert owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve").ok
    return pod, pending


def notices(pod: PodClient, listening: Receiver, count: int) -> list[Notification]:
    deadline = time.monotonic() + 10
    while len(listening.notices) < count:
        assert time.monotonic() < deadline, "the pod did not notify the vendor"
        time.sleep(0.05)
    return [pod.notification(n.body) for n in listening.notices[:count]]


def test_the_vendor_acknowledges_a_deletion_and_keeps_the_pods_receipt(
    server, owner, shop, listening
):
    pod, grant = shop
    owner.post(f"{server.url}/owner/grants/{grant.id}/revoke", json={"ask_deletion": True})
    [revoked] = notices(pod, listening, 1)
    assert (revoked.type, revoked.grant, revoked.revoked_by) == ("Revoke", grant.id, "owner")
    assert revoked.deletion_requested

    receipt = pod.acknowledge_deletion(grant, "Deleted all order data on file.")

    assert isinstance(receipt, DeletionReceipt)
    assert (receipt.grant_id, receipt.claims["vendor"]) == (grant.id, pod.vendor_id)
    assert receipt.requested_at <= receipt.acknowledged_at <= dt.datetime.now(dt.UTC)
    shown = owner.get(f"{server.url}/owner/grants/{grant.id}").json()
    assert (shown["deletion"], shown["deletion_receipt"]) == ("confirmed", receipt.token)
    assert shown["deletion_statement"] == "Deleted all order data on file."
    ack = jwt.decode(
        shown["deletion_ack"], jwt.PyJWK(pod.key.public_jwk).key, ["EdDSA"], audience=server.url
    )  # what the pod keeps is what the vendor signed
    assert (ack["iss"], ack["grant"], ack["deleted"]) == (pod.vendor_id, grant.id, True)
    with pytest.raises(vendor_client.VendorClientError) as again:
        pod.acknowledge_deletion(grant.id)
    assert again.value.status == 409
    assert again.value.problem["type"].endswith("#deletion-already-acknowledged")


def test_a_deletion_asked_after_the_grant_ended_reaches_the_vendor(server, owner, shop, listening):
    pod, grant = shop
    owner.post(f"{server.url}/owner/grants/{grant.id}/revoke")
    owner.post(f"{server.url}/owner/grants/{grant.id}/ask-deletion")

    revoked, asked = notices(pod, listening, 2)

    assert not revoked.deletion_requested
    assert (asked.type, asked.grant, asked.deletion_requested) == (
        "DeletionRequest",
        grant.id,
        True,
    )
    assert pod.acknowledge_deletion(asked.grant).grant_id == grant.id


def test_an_acknowledgement_nobody_asked_for_is_refused(server, owner, shop):
    pod, grant = shop

    with pytest.raises(vendor_client.VendorClientError) as refused:
        pod.acknowledge_deletion(grant)

    assert refused.value.problem["type"].endswith("#deletion-not-requested")
    assert owner.get(f"{server.url}/owner/grants/{grant.id}").json()["deletion"] is None


def test_the_vendor_learns_the_new_end_of_a_shortened_grant(server, owner, shop, listening):
    pod, grant = shop
    answer = owner.post(f"{server.url}/owner/grants/{grant.id}/shorten", json={"days": 3})

    [shortened] = notices(pod, listening, 1)

    assert (shortened.type, shortened.grant) == ("Shorten", grant.id)
    assert not shortened.deletion_requested
    assert shortened.expires_at == dt.datetime.fromisoformat(answer.json()["expires_at"])
    assert shortened.expires_at < grant.expires_at  # the token's exp stays; the pod's end moved


def test_a_vendor_without_a_callback_learns_of_the_deletion_from_its_status_url(server, owner):
    pod, pending = ask_and_approve(server, owner, "Quiet Shop")  # no callback
    grant = pending.wait(timeout=10)
    assert "deletion" not in pending.status()

    revoked = owner.post(
        f"{server.url}/owner/grants/{grant.id}/revoke", json={"ask_deletion": True}
    )
    assert revoked.ok, revoked.text

    asked = pending.status()["deletion"]
    assert asked["acknowledged_at"] is None
    assert asked["acknowledge_at"] == f"{server.url}/grants/{grant.id}/deletion"
    receipt = pod.acknowledge_deletion(grant, "Deleted the email address")
    done = pending.status()["deletion"]
    assert dt.datetime.fromisoformat(done["acknowledged_at"]) == receipt.acknowledged_at
