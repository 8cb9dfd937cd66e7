"""The vendor's signed acknowledgement that it deleted what an ended grant let it hold, and the
pod's signed receipt for it (protocol §19.2, §19.3); forged or malformed acknowledgements.

Against the real server on loopback, on both backends. A refused acknowledgement is a
problem+json, and the stored grant and the audit log are exactly as they were.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import time
from collections.abc import Iterator

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.relay.relay_setup import Receiver
from tests.server.grant_endings_setup import (
    ACK_TYP,
    READ_EMAIL,
    acknowledgement,
    assert_problem,
    events,
    send,
    stored_grant,
)
from tests.server.records_setup import known
from tests.server.vendor_setup import OTHER_VENDOR, Vendor, mac_signed, unsigned
from vendor_client import VendorKey


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


@pytest.fixture
def asked(server, owner, shop) -> Vendor:
    """The shop, whose grant the customer revoked asking it to delete what it holds."""
    answer = owner.post(
        f"{server.url}/owner/grants/{shop.grant.id}/revoke", json={"ask_deletion": True}
    )
    assert answer.status_code == 200, answer.text
    return shop


def test_the_vendors_acknowledgement_is_kept_with_the_pods_signed_receipt(server, owner, asked):
    token = acknowledgement(asked, server, statement="Deleted every order record on file.")

    answer = send(server, asked.grant.id, token)

    assert answer.status_code == 201, answer.text
    receipt = answer.json()["receipt"]
    claims = asked.client.verify_pod_token(receipt, "deletion-receipt+jwt")
    assert (claims["iss"], claims["sub"], claims["vendor"]) == (
        server.url,
        asked.grant.id,
        asked.id,
    )
    digest = jwt.utils.base64url_encode(hashlib.sha256(token.encode()).digest()).decode()
    assert claims["ack_sha256"] == digest
    grant = owner.get(f"{server.url}/owner/grants/{asked.grant.id}").json()
    assert grant["deletion"] == "confirmed"
    assert (grant["deletion_ack"], grant["deletion_receipt"]) == (token, receipt)
    assert grant["deletion_statement"] == "Deleted every order record on file."
    assert claims["acknowledged_at"] == int(
        dt.datetime.fromisoformat(grant["deletion_acknowledged_at"]).timestamp()
    )
    [event] = events(server, owner, "deletion.ack")
    assert (event["actor"], event["detail"]["statement"]) == (
        asked.id,
        "Deleted every order record on file.",
    )


def _other_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def _other_jwk() -> dict:
    return VendorKey(_other_key()).public_jwk


# (make the token from the vendor and the server, status, problem slug, what the detail says)
FORGERIES = {
    "signed by another key": (
        lambda v, s: acknowledgement(v, s, signer=_other_key()),
        422,
        "invalid-input",
        "not signed by the key the grant is bound to",
    ),
    "another key in its header": (
        lambda v, s: acknowledgement(v, s, signer=_other_key(), header={"jwk": _other_jwk()}),
        422,
        "invalid-input",
        "jwk header is not the key the grant is bound to",
    ),
    "addressed to another pod": (
        lambda v, s: acknowledgement(v, s, aud="https://other-pod.example"),
        422,
        "invalid-input",
        "aud must be the pod's issuer",
    ),
    "about another grant": (
        lambda v, s: acknowledgement(v, s, grant="W" * 22),
        422,
        "invalid-input",
        "grant must be the grant named in the URL",
    ),
    "from another vendor id": (
        lambda v, s: acknowledgement(v, s, iss=OTHER_VENDOR),
        422,
        "invalid-input",
        "iss must be your vendor id",
    ),
    "alg none": (
        lambda v, s: unsigned({"alg": "none", "typ": ACK_TYP}, _claims(v, s)),
        422,
        "invalid-input",
        "algorithm 'none' is not accepted",
    ),
    "HS256 keyed with the public key": (
        lambda v, s: mac_signed(
            {"alg": "HS256", "typ": ACK_TYP}, _claims(v, s), v.key.public_jwk["x"].encode()
        ),
        422,
        "invalid-input",
        "algorithm 'HS256' is not accepted",
    ),
    "another typ": (
        lambda v, s: acknowledgement(v, s, header={"typ": "JWT"}),
        422,
        "invalid-input",
        "typ header must be 'deletion-ack+jwt'",
    ),
    "signed an hour ago": (
        lambda v, s: acknowledgement(v, s, iat=int(time.time()) - 3600),
        422,
        "invalid-input",
        "older than 300 s",
    ),
    "signed in the future": (
        lambda v, s: acknowledgement(v, s, iat=int(time.time()) + 600),
        422,
        "invalid-input",
        "iat is in the future",
    ),
    "deleted false": (
        lambda v, s: acknowledgement(v, s, deleted=False),
        422,
        "invalid-input",
        "deleted must be true",
    ),
    "no jti": (
        lambda v, s: acknowledgement(v, s, drop=("jti",)),
        422,
        "invalid-input",
        "'jti' is required",
    ),
    "statement with control characters": (
        lambda v, s: acknowledgement(v, s, statement="Deleted.\x1b[2J\nAll fine"),
        422,
        "invalid-input",
        "cannot contain control characters",
    ),
    "statement too long": (
        lambda v, s: acknowledgement(v, s, statement="x" * 501),
        422,
        "invalid-input",
        "at most 500 characters",
    ),
    "oversized": (
        lambda v, s: acknowledgement(v, s, statement="x" * 13000),
        413,
        "too-large",
        "at most 16384 bytes",
    ),
}


def _claims(vendor: Vendor, server) -> dict:
    return jwt.decode(acknowledgement(vendor, server), options={"verify_signature": False})


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_or_malformed_acknowledgement_is_refused_and_nothing_is_stored(
    server, owner, asked, forgery
):
    make, status, slug, says = FORGERIES[forgery]
    before = stored_grant(server, asked.grant.id)

    answer = send(server, asked.grant.id, make(asked, server))

    assert_problem(answer, status, slug, says)
    assert stored_grant(server, asked.grant.id) == before
    assert before.deletion_ack is None and before.deletion_acknowledged_at is None
    assert events(server, owner, "deletion.ack") == []


def test_an_acknowledgement_nobody_asked_for_is_refused(server, owner, shop):
    live = send(server, shop.grant.id, acknowledgement(shop, server))
    assert_problem(live, 409, "deletion-not-requested", "has not asked you to delete")
    owner.post(f"{server.url}/owner/grants/{shop.grant.id}/revoke")  # without asking
    before = stored_grant(server, shop.grant.id)

    answer = send(server, shop.grant.id, acknowledgement(shop, server))

    assert_problem(answer, 409, "deletion-not-requested", "has not asked you to delete")
    assert stored_grant(server, shop.grant.id) == before
    assert events(server, owner, "deletion.ack") == []


def test_a_second_acknowledgement_is_refused_and_the_first_one_stands(server, owner, asked):
    first = acknowledgement(asked, server, statement="first")
    assert send(server, asked.grant.id, first).status_code == 201
    kept = stored_grant(server, asked.grant.id)

    answer = send(server, asked.grant.id, acknowledgement(asked, server, statement="second"))

    assert_problem(answer, 409, "deletion-already-acknowledged", "the first acknowledgement")
    assert stored_grant(server, asked.grant.id) == kept
    assert kept.deletion_ack == first
    assert len(events(server, owner, "deletion.ack")) == 1


@pytest.mark.parametrize(
    ("send_it", "status", "slug"),
    [
        (
            lambda url, token: requests.post(url, data=token, timeout=10),
            415,
            "unsupported-media-type",
        ),
        (
            lambda url, token: requests.post(
                url, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=10
            ),
            400,
            "malformed-json",
        ),
        (
            lambda url, token: requests.post(url, json={"ack": token}, timeout=10),
            422,
            "invalid-input",
        ),
        (
            lambda url, token: requests.post(url, json={"acknowledgement": 7}, timeout=10),
            422,
            "invalid-input",
        ),
    ],
)
def test_an_acknowledgement_in_the_wrong_body_is_refused(server, asked, send_it, status, slug):
    before = stored_grant(server, asked.grant.id)
    url = f"{server.url}/grants/{asked.grant.id}/deletion"

    answer = send_it(url, acknowledgement(asked, server))

    assert_problem(answer, status, slug, "")
    assert stored_grant(server, asked.grant.id) == before


def test_an_acknowledgement_for_an_unknown_grant_is_not_found(server, asked):
    answer = send(server, "U" * 22, acknowledgement(asked, server, grant="U" * 22))

    assert_problem(answer, 404, "grant-not-found", "there is no grant")
