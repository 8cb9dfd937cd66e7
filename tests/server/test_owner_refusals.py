"""The owner API's refusals, as §12 documents them: a decision can only narrow a request, and
typed documents must describe a node of their type. Each refusal changes nothing."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.server.test_vendor_hostile_requests import signed_request, submit

EMAIL, NAME = "https://schema.org/email", "https://schema.org/name"
VENDORS = "/vendors/{}/"


@pytest.fixture
def pending_id(server, owner) -> str:
    response = submit(server, signed_request(server, ed25519.Ed25519PrivateKey.generate()))
    assert response.status_code == 202, response.text
    return response.json()["id"]


def profile_scope(**changes) -> dict:
    return {"resource": "/profile", "modes": ["read"], "fields": [EMAIL], **changes}


WIDENINGS = {
    "another resource": (
        {"scopes": [{"resource": "/preferences", "modes": ["read"]}]},
        "more than",
    ),
    "another mode": ({"scopes": [profile_scope(modes=["read", "append"])]}, "can only be read"),
    "another field": ({"scopes": [profile_scope(fields=[EMAIL, NAME])]}, "more than"),
    "every field": ({"scopes": [{"resource": "/profile", "modes": ["read"]}]}, "more than"),
    "one resource twice": ({"scopes": [profile_scope(), profile_scope()]}, "only one scope"),
    "nothing": ({"scopes": []}, "non-empty"),
    "a longer time": ({"duration_seconds": 86401}, "not lengthened beyond the 86400"),
    "under a minute": ({"duration_seconds": 59}, "at least 60 seconds"),
    "not a number": ({"duration_seconds": "3600"}, "duration"),
}


@pytest.mark.parametrize(("body", "says"), WIDENINGS.values(), ids=WIDENINGS)
def test_an_approval_that_widens_the_request_is_refused_and_grants_nothing(
    server, owner, pending_id, body, says
):
    url = f"{server.url}/owner/access-requests/{pending_id}"

    response = owner.post(f"{url}/approve", json=body, timeout=10)

    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("#invalid-input")
    assert says in response.json()["detail"]
    assert owner.get(url, timeout=10).json()["status"] == "pending"
    assert owner.get(f"{server.url}/owner/grants", timeout=10).json()["grants"] == []


def test_a_decided_request_cannot_be_decided_again(server, owner, pending_id):
    url = f"{server.url}/owner/access-requests/{pending_id}"
    assert owner.post(f"{url}/deny", timeout=10).status_code == 200

    again = owner.post(f"{url}/approve", timeout=10)

    assert again.status_code == 409 and again.json()["type"].endswith("#already-decided")


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/profile", "Person"),
        ("/preferences", "Preferences"),
        ("/preferences/travel", "Preferences"),
    ],
)
def test_a_typed_document_without_its_type_is_refused(server, owner, path, kind):
    body = '<#me> <https://schema.org/name> "Ada" .'

    response = owner.put(
        f"{server.url}/data{path}", data=body, headers={"Content-Type": "text/turtle"}, timeout=10
    )

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("#shape-violation")
    [violation] = problem["violations"]
    assert violation["field"] == "type"
    assert f"#{kind}>" in violation["message"] or f"/{kind}>" in violation["message"]
    assert owner.get(f"{server.url}/data{path}", timeout=10).status_code == 404
