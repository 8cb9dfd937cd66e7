"""Rotating the pod's signing key does not break grants already given."""

from __future__ import annotations

import datetime as dt

import jwt

from pds import schemas
from vendor_client import PodClient, VendorKey

PURPOSE = "https://w3id.org/dpv#ServiceProvision"


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


def test_grants_signed_before_a_rotation_keep_working_and_new_ones_use_the_new_key(server, owner):
    owner.put(
        f"{server.url}/data/profile",
        data=schemas.sample_documents()["/profile"].encode(),
        headers={"Content-Type": "text/turtle"},
    )
    pod = PodClient(server.url, VendorKey.generate())
    before = approved_grant(server, owner, pod)
    old_kid = jwt.get_unverified_header(before.token)["kid"]

    new_kid = server.pod.rotate_keys()
    assert new_kid != old_kid
    kids = {k["kid"] for k in pod.session.get(f"{server.url}/.well-known/jwks.json").json()["keys"]}
    assert kids == {old_kid, new_kid}

    assert len(pod.read("/profile", before)) > 0
    after = approved_grant(server, owner, pod)
    assert jwt.get_unverified_header(after.token)["kid"] == new_kid
    assert len(pod.read("/profile", after)) > 0
