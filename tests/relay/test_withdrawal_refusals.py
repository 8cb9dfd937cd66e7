"""A withdrawal that does not fit (another key, another announcement, wrong type, audience or
time, forged, used twice) changes nothing at the relay, with a problem that says why."""

from __future__ import annotations

import pytest

from tests.relay.relay_setup import signed
from tests.relay.test_refusals import announcement, assert_problem, post
from vendor_client import VendorKey


@pytest.fixture
def announced(relay) -> tuple[VendorKey, str]:
    key = VendorKey.generate()
    response = post(relay, announcement(relay, key))
    assert response.status_code == 201, response.text
    return key, response.json()["id"]


def withdrawal(relay, key: VendorKey, announcement_id: str, typ="intent-withdrawal+jwt", **claims):
    fields = {"announcement": announcement_id, **claims}
    return signed(key, typ, relay.url, relay.clock, **fields)


@pytest.mark.parametrize(
    ("make", "status", "slug", "detail"),
    [
        (lambda r, k, i: withdrawal(r, VendorKey.generate(), i), 403, "wrong-key",
         "must be signed by the key that made the announcement"),
        (lambda r, k, i: withdrawal(r, k, i, typ="intent-announcement+jwt"), 422, "invalid-jws",
         "typ header must be 'intent-withdrawal+jwt'"),
        (lambda r, k, i: withdrawal(r, k, i, aud="https://relay.example"), 422, "invalid-claims",
         "aud must be"),
        (lambda r, k, i: withdrawal(r, k, "another-one"), 422, "invalid-claims",
         "'announcement' must be the id in the URL"),
        (lambda r, k, i: withdrawal(r, k, i, exp=r.clock.stamp - 60, iat=r.clock.stamp - 120), 422,
         "invalid-claims", "has expired"),
    ],
    ids=["other-key", "wrong-typ", "wrong-aud", "other-announcement", "expired"],
)  # fmt: skip
def test_a_withdrawal_that_does_not_fit_changes_nothing(
    relay, announced, make, status, slug, detail
):
    key, announcement_id = announced
    before = relay.rows("relay_announcements")

    response = post(
        relay, make(relay, key, announcement_id), f"/announcements/{announcement_id}/withdraw"
    )

    assert_problem(response, status, slug, detail)
    assert relay.rows("relay_announcements") == before
    assert len(relay.rows("relay_replay")) == 1  # the announcement's own


def test_a_forged_withdrawal_changes_nothing(relay, announced):
    key, announcement_id = announced
    header, payload, signature = withdrawal(relay, key, announcement_id).split(".")
    forged = ".".join(
        [header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")]
    )

    response = post(relay, forged, f"/announcements/{announcement_id}/withdraw")

    assert_problem(response, 422, "invalid-jws", "Signature verification failed")
    assert len(relay.rows("relay_announcements")) == 1


def test_a_withdrawal_is_accepted_once_and_an_unknown_announcement_is_not_found(relay, announced):
    key, announcement_id = announced
    path = f"/announcements/{announcement_id}/withdraw"
    token = withdrawal(relay, key, announcement_id)
    assert post(relay, token, path).status_code == 204

    again = post(relay, token, path)
    fresh = post(relay, withdrawal(relay, key, announcement_id), path)
    unknown = post(
        relay, withdrawal(relay, key, "nothing-here"), "/announcements/nothing-here/withdraw"
    )

    assert_problem(again, 404, "announcement-not-found", "withdrawn already")
    assert_problem(fresh, 404, "announcement-not-found", "withdrawn already")
    assert_problem(unknown, 404, "announcement-not-found", "there is no such announcement")
