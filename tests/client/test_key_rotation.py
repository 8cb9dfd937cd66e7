"""Rotating the pod's signing key does not break grants already given: the new key is published
at once, signs only after the publication delay, and the old one keeps verifying (§13.6)."""

from __future__ import annotations

import datetime as dt
import time

import jwt

from pds import schemas
from pds.consent.keys import KeyState
from vendor_client import PodClient, VendorKey

PURPOSE = "https://w3id.org/dpv#ServiceProvision"
# Short, so that the test can wait for it: the pod checks grants' `iat` on the wall clock, so a
# live test cannot move the pod's clock on instead.
DELAY = dt.timedelta(seconds=2)


def approved_grant(server, owner, pod: PodClient):
    pending = pod.request_access(
        [{"resource": "/profile", "modes": ["read"]}],
        purpose=PURPOSE,
        description="to deliver your orders",
        duration=dt.timedelta(days=1),
        vendor={"name": "Rotating Shop"},
    )
    assert owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve").ok
    return pending.wait(timeout=10)


def kid_of(grant) -> str:
    return jwt.get_unverified_header(grant.token)["kid"]


def published(server, pod: PodClient) -> list[str]:
    keys = pod.session.get(f"{server.url}/.well-known/jwks.json").json()["keys"]
    return [k["kid"] for k in keys]


def test_a_new_key_is_published_at_once_signs_after_the_delay_and_old_grants_keep_working(
    server, owner
):
    owner.put(
        f"{server.url}/data/profile",
        data=schemas.sample_documents()["/profile"].encode(),
        headers={"Content-Type": "text/turtle"},
    )
    pod = PodClient(server.url, VendorKey.generate())
    before = approved_grant(server, owner, pod)
    old_kid = kid_of(before)

    new = server.pod.rotate_keys(publication_delay=DELAY)
    assert new.kid != old_kid
    assert new.state == KeyState.NEXT
    assert published(server, pod) == [new.kid, old_kid]
    during = approved_grant(server, owner, pod)
    assert kid_of(during) == old_kid, "the new key signs nothing before the delay is over"

    time.sleep(max(0.0, (new.signs_from - server.pod.now()).total_seconds()))
    after = approved_grant(server, owner, pod)
    assert kid_of(after) == new.kid
    assert published(server, pod) == [new.kid, old_kid]
    for grant in (before, during, after):
        assert len(pod.read("/profile", grant)) > 0
