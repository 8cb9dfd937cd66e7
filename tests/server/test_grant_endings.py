"""How a customer ends a grant on their terms: one click to shorten it, and stop-and-delete,
asking the vendor to delete what it holds (protocol §9.5, §19.1).

Against the real server on loopback, on both backends: the customer uses the owner API, the
vendor its own key, and a loopback callback receives the signed notifications. Every refusal is
a problem+json and leaves the stored grant exactly as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import time
from collections.abc import Iterator

import pytest

from tests.cli.archive_setup import empty_pod, exported, members_of, tar_of, with_checksums
from tests.relay.relay_setup import Receiver
from tests.server.grant_endings_setup import (
    READ_EMAIL,
    acknowledgement,
    assert_problem,
    events,
    read_email,
    send,
    stored_grant,
    told,
)
from tests.server.records_setup import known
from tests.server.vendor_setup import Vendor, assert_refused, data_request, proof
from vendor_client import PendingRequest


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)  # vendors on loopback


@pytest.fixture
def listening(server) -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    server.pod.ctx.outbox.deliverer.stop()  # else its thread outlives the test's database
    receiver.stop()


@pytest.fixture
def shop(server, owner, customer_data, listening) -> Vendor:
    """A shop allowed to read the customer's email address for 30 days, with a callback."""
    return known(server, owner, "Example Shop", READ_EMAIL, callback=listening.callback)


# -- one-click shorten --------------------------------------------------------------------------


def test_a_shortened_grant_works_until_its_new_end_and_is_refused_as_expired_after(
    server, owner, shop, listening
):
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)).replace(microsecond=0)
    answer = owner.post(
        f"{server.url}/owner/grants/{shop.grant.id}/shorten", json={"until": until.isoformat()}
    )

    assert answer.status_code == 200, answer.text
    assert (answer.json()["state"], answer.json()["expires_at"]) == ("active", until.isoformat())
    assert read_email(server, shop).status_code == 200  # still before the new end
    [shortened] = told(server, listening, shop, 1)
    assert shortened["type"] == "Shorten" and shortened["grant"] == shop.grant.id
    assert shortened["expires_at"] == until.isoformat()
    [event] = events(server, owner, "grant.shorten")
    assert event["detail"]["until"] == until.isoformat()
    assert event["detail"]["was"] == shop.grant.expires_at.isoformat()

    time.sleep(max(0.0, (until - dt.datetime.now(dt.UTC)).total_seconds()) + 0.2)
    assert shop.grant.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(days=29)  # its exp
    assert_refused(read_email(server, shop), 401, "invalid_token", "grant-expired", "expired")
    give_back = f"{server.url}/grants/{shop.grant.id}/return"
    returned = data_request("POST", give_back, shop.grant.token, proof(shop, "POST", give_back))
    assert_refused(returned, 401, "invalid_token", "grant-expired", "expired")
    assert owner.get(f"{server.url}/owner/grants/{shop.grant.id}").json()["state"] == "expired"
    [status_url] = shop.client.approved_requests()
    request_id = status_url.rpartition("/")[2]
    status = PendingRequest(shop.client, request_id, status_url).status()
    assert (status["grant_state"], status["expires_at"]) == ("expired", until.isoformat())


def test_shortening_by_days_keeps_the_grant_working_until_then(server, owner, shop):
    answer = owner.post(f"{server.url}/owner/grants/{shop.grant.id}/shorten", json={"days": 2})

    assert answer.status_code == 200, answer.text
    end = dt.datetime.fromisoformat(answer.json()["expires_at"])
    assert dt.timedelta(days=2) - dt.timedelta(seconds=5) < end - dt.datetime.now(dt.UTC)
    assert end - dt.datetime.now(dt.UTC) <= dt.timedelta(days=2)
    assert read_email(server, shop).status_code == 200


def _in(seconds: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).isoformat()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"until": _in(-60)}, "must be in the future"),
        ({"until": _in(31 * 86400)}, "must be before the grant's end"),
        ({"days": 30}, "must be before the grant's end"),
        ({"days": 0}, "days is a whole number from 1 to 366"),
        ({"days": 1.5}, "days is a whole number"),
        ({"until": "2030-01-01T00:00:00"}, "with an offset"),
        ({"until": "next tuesday"}, "RFC 3339"),
        ({"until": _in(60), "days": 1}, "either"),
        ({}, "either"),
    ],
)
def test_shortening_to_a_wrong_end_is_refused_and_changes_nothing(
    server, owner, shop, listening, body, says
):
    before = stored_grant(server, shop.grant.id)

    answer = owner.post(f"{server.url}/owner/grants/{shop.grant.id}/shorten", json=body)

    assert_problem(answer, 422, "invalid-input", says)
    assert stored_grant(server, shop.grant.id) == before
    assert events(server, owner, "grant.shorten") == []
    time.sleep(0.3)
    assert listening.notices == []
    assert read_email(server, shop).status_code == 200


def test_a_revoked_grant_cannot_be_shortened(server, owner, shop):
    owner.post(f"{server.url}/owner/grants/{shop.grant.id}/revoke")
    before = stored_grant(server, shop.grant.id)

    answer = owner.post(f"{server.url}/owner/grants/{shop.grant.id}/shorten", json={"days": 1})

    assert_problem(answer, 409, "grant-not-active", "the grant is revoked")
    assert stored_grant(server, shop.grant.id) == before
    assert events(server, owner, "grant.shorten") == []


# -- stop and delete: the customer asks -----------------------------------------------------------


def test_revoking_with_deletion_tells_the_vendor_to_stop_and_delete(server, owner, shop, listening):
    answer = owner.post(
        f"{server.url}/owner/grants/{shop.grant.id}/revoke", json={"ask_deletion": True}
    )

    grant = answer.json()
    assert (grant["state"], grant["deletion"]) == ("revoked", "asked")
    assert grant["deletion_requested_at"] == grant["revoked_at"]
    [revoked] = told(server, listening, shop, 1)
    assert (revoked["type"], revoked["revoked_by"], revoked["delete"]) == ("Revoke", "owner", True)
    [asked] = events(server, owner, "deletion.request")
    assert asked["detail"] == {"grant": shop.grant.id, "vendor": shop.id}

    again = owner.post(f"{server.url}/owner/grants/{shop.grant.id}/ask-deletion")
    assert again.json()["deletion_requested_at"] == grant["deletion_requested_at"]
    time.sleep(0.3)
    assert len(listening.notices) == 1 and len(events(server, owner, "deletion.request")) == 1


def test_asking_for_deletion_after_the_grant_ended_sends_a_deletion_request(
    server, owner, shop, listening
):
    active = owner.post(f"{server.url}/owner/grants/{shop.grant.id}/ask-deletion")
    assert_problem(active, 409, "grant-still-active", "revoke it")
    owner.post(f"{server.url}/owner/grants/{shop.grant.id}/revoke")
    [revoked] = told(server, listening, shop, 1)
    assert "delete" not in revoked

    answer = owner.post(f"{server.url}/owner/grants/{shop.grant.id}/ask-deletion")

    assert answer.json()["deletion"] == "asked"
    _, request = told(server, listening, shop, 2)
    assert (request["type"], request["grant"]) == ("DeletionRequest", shop.grant.id)
    owner.post(f"{server.url}/owner/grants/{shop.grant.id}/ask-deletion")
    time.sleep(0.3)
    assert len(listening.notices) == 2  # asking twice changes nothing


# -- moving the pod ------------------------------------------------------------------------------


def test_an_export_keeps_what_was_asked_and_acknowledged(server, owner, shop, store, pod_name):
    owner.post(f"{server.url}/owner/grants/{shop.grant.id}/revoke", json={"ask_deletion": True})
    assert send(server, shop.grant.id, acknowledgement(shop, server)).status_code == 201
    moved = empty_pod(store, pod_name + "-moved")

    moved.import_archive(io.BytesIO(exported(store, server.pod)))

    assert moved.grants.get(shop.grant.id) == server.pod.grants.get(shop.grant.id)
    assert moved.grants.get(shop.grant.id).deletion == "confirmed"


def test_an_export_made_before_stop_and_delete_still_imports(server, owner, shop, store, pod_name):
    owner.post(f"{server.url}/owner/grants/{shop.grant.id}/revoke")
    members = members_of(exported(store, server.pod))
    manifest = json.loads(members["manifest.json"])
    manifest["version"] = 4  # before the deletion columns of grants
    members["manifest.json"] = json.dumps(manifest).encode()
    rows = json.loads(members["tables/grants.json"])
    members["tables/grants.json"] = json.dumps(
        [{k: v for k, v in row.items() if not k.startswith("deletion_")} for row in rows]
    ).encode()
    moved = empty_pod(store, pod_name + "-moved")

    moved.import_archive(io.BytesIO(tar_of(with_checksums(members))))

    grant = moved.grants.get(shop.grant.id)
    assert (grant.state, grant.deletion, grant.deletion_ack) == ("revoked", None, None)
