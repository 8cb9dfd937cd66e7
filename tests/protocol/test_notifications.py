"""Notifications (§10): they follow what the grant can see."""

from __future__ import annotations

import time

from tests.protocol.helpers import EMAIL, PROFILE_TURTLE, approve
from tests.protocol.independent_client import PodClient, VendorKey, jws_payload

# -- notifications (§10) --------------------------------------------------------------------------


def test_notifications_follow_what_the_grant_can_see(server, owner, profile, inbox):
    pod = PodClient(server.url, VendorKey.generate("Ed25519"))
    pod.discover()
    container = f"/vendors/{pod.key.vendor_id}/"
    pending = pod.request_access(
        [
            {"resource": "/profile", "modes": ["read"], "fields": [EMAIL]},
            {"resource": container, "modes": ["append", "read"]},
        ],
        callback=inbox.url,
    )
    approve(server, owner, pending.id)
    grant = pod.wait(pending, max_interval=0.2)
    url = f"{server.url}/data/profile"

    def put_profile(text: str) -> None:
        response = owner.put(
            url, data=text.encode(), headers={"Content-Type": "text/turtle"}, timeout=10
        )
        assert response.status_code in (200, 204), response.text

    # A change the grant cannot see sends nothing; one it can see sends an Update.
    put_profile(PROFILE_TURTLE.replace("+44 20 7946 0000", "+44 20 7946 0999"))
    put_profile(PROFILE_TURTLE.replace(', "alex.example@example.org"', ""))
    # The vendor's own record sends it nothing; the owner's note sends Create, then Delete.
    own = pod.append(container, grant, '<#r> <https://schema.org/name> "mine" .', slug="mine")
    assert own.status_code == 201, own.text
    note = owner.post(
        pod.resource_url(container),
        data=b'<#n> <https://schema.org/text> "a note" .',
        headers={"Content-Type": "text/turtle", "Slug": "note"},
        timeout=10,
    )
    assert note.status_code == 201, note.text
    assert owner.delete(note.headers["Location"], timeout=10).status_code in (200, 204)

    def of_type(kind):
        return lambda item: jws_payload(item[1]).get("type") == kind

    for kind, obj in (("Update", url), ("Create", note.headers["Location"])):
        _, token = inbox.wait_for(of_type(kind))
        claims = pod.verify_notification(token)
        assert claims["object"] == obj
        assert claims["grant"] == grant.id
    _, token = inbox.wait_for(of_type("Delete"))
    assert pod.verify_notification(token)["object"] == note.headers["Location"]
    time.sleep(1.0)  # anything else would have come by now
    kinds = sorted(jws_payload(body)["type"] for _, body in inbox.received)
    assert kinds == ["Create", "Delete", "Update"]
