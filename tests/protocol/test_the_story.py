"""1. The story of docs/protocol.md, from discovery to revocation and its notification."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests
from rdflib.compare import isomorphic

from tests.protocol.helpers import (
    EMAIL,
    NAME,
    SCHEMA,
    approve,
    assert_dpop_challenge,
    assert_problem,
    assert_security_headers,
    find_pending,
    only,
    parse,
)
from tests.protocol.independent_client import (
    PodClient,
    VendorKey,
    jws_header,
    jws_payload,
    thumbprint,
)

# -- 1. the story ----------------------------------------------------------------------------------


@pytest.mark.parametrize("curve", ["Ed25519", "P-256"])
def test_the_story_of_the_document(server, owner, profile, inbox, curve):
    pod = PodClient(server.url, VendorKey.generate(curve))

    # §2: discovery, the JWKS and the catalogue.
    config = pod.discover()
    assert config["data_endpoint"] == f"{server.url}/data/"
    jwks_response = requests.get(config["jwks_uri"], timeout=10)
    assert jwks_response.headers["Content-Type"].startswith("application/jwk-set+json")
    assert jwks_response.headers["Cache-Control"] == "public, max-age=300"
    [catalogue_profile] = [r for r in config["resources"] if r["resource"] == "/profile"]
    assert {EMAIL, NAME} <= {f["iri"] for f in catalogue_profile["fields"]}
    purposes = {p["iri"] for p in config["purposes_supported"]}
    assert "https://w3id.org/dpv#ServiceProvision" in purposes

    # §4: ask for read on the profile's e-mail and name.
    pending = pod.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [NAME, EMAIL]}],
        callback=inbox.url,
        duration=86400,
    )
    assert len(pending.id) == 22
    assert pending.status_url == f"{server.url}/access-requests/{pending.id}"

    # §5: a DPoP-only poll while pending.
    first = pod.poll(pending)
    assert first.status_code == 200, first.text
    assert first.headers["Retry-After"] == "5"
    assert first.headers["Cache-Control"] == "no-store"
    body = first.json()
    assert body["status"] == "pending"
    assert body["decided_at"] is None
    assert body["requested_scopes"] == [
        {"resource": "/profile", "modes": ["read"], "fields": sorted([EMAIL, NAME])}
    ]
    head = pod.poll(pending, method="HEAD")
    assert head.status_code == 200
    assert head.headers["Retry-After"] == "5"
    assert head.content == b""

    # §12: the owner sees the request, unverified, and approves narrower: e-mail only.
    seen = find_pending(server, owner, pending.id)
    assert seen["vendor_id"] == pod.key.vendor_id
    assert seen["vendor"]["verified"] is False
    narrower = [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}]
    grant_object = approve(server, owner, pending.id, {"scopes": narrower})
    assert grant_object["state"] == "active"
    assert grant_object["scopes"][0]["fields"] == [EMAIL]
    assert "grant" not in grant_object

    # §5, §6.2: poll until approved; the client verifies the grant against the JWKS.
    grant = pod.wait(pending, max_interval=0.2)
    assert grant.claims["cnf"]["jkt"] == pod.key.vendor_id == thumbprint(pod.key.public_jwk)
    assert grant.claims["sub"] == pod.key.vendor_id
    assert grant.claims["scopes"] == [
        {"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}
    ]
    assert grant.claims["nbf"] == grant.claims["iat"]
    assert grant.claims["exp"] == grant.claims["iat"] + 86400
    assert grant.claims["request"] == pending.id
    assert grant.id == grant_object["id"]
    assert jws_header(grant.token)["kid"] in {k["kid"] for k in jwks_response.json()["keys"]}
    status = grant.claims["credentialStatus"]
    assert status["statusListCredential"] == config["status_list_uri"]
    assert status["id"] == f"{config['status_list_uri']}#{status['statusListIndex']}"
    assert isinstance(status["statusListIndex"], str)
    approved = pod.poll(pending).json()
    assert approved["grant_state"] == "active"
    assert approved["scopes"] == grant.claims["scopes"]
    assert "Retry-After" not in pod.poll(pending).headers

    # §7.5: only the e-mail triples come back, in every media type.
    url = f"{server.url}/data/profile"
    expected = only(profile, SCHEMA.email)
    assert len(expected) == 2
    etags = set()
    for accept, fmt, content_type in [
        ("text/turtle", "turtle", "text/turtle; charset=utf-8"),
        ("application/ld+json", "json-ld", "application/ld+json"),
        ("application/n-triples", "nt", "application/n-triples"),
    ]:
        response = pod.read("/profile", grant, accept=accept)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == content_type
        assert response.headers["Cache-Control"] == "private, no-cache"
        etags.add(response.headers["ETag"])
        assert_security_headers(response)
        assert isomorphic(parse(response, fmt, url), expected), response.text
    assert len(etags) == 3

    # §7.5: a conditional read with the Turtle ETag is a 304.
    turtle_etag = pod.read("/profile", grant).headers["ETag"]
    not_modified = pod.read("/profile", grant, **{"If-None-Match": turtle_etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""

    # §11: the consent receipt.
    receipt = pod.verify_receipt(grant)
    assert receipt["consentReceiptID"] == grant.id
    assert receipt["consentTimestamp"] == grant.claims["iat"] == receipt["iat"]
    assert receipt["piiControllers"][0]["id"] == pod.key.vendor_id
    assert receipt["piiControllers"][0]["verified"] is False
    [purpose] = receipt["services"][0]["purposes"]
    assert purpose["piiCategory"] == ["/profile: Email address"]
    assert receipt["scopes"] == grant.claims["scopes"]
    assert "exp" not in receipt
    owners_copy = owner.get(f"{server.url}/owner/grants/{grant.id}/receipt", timeout=10)
    assert owners_copy.json()["jws"] == grant.receipt
    assert owners_copy.json()["receipt"] == receipt
    expires_at = datetime.fromisoformat(approved["expires_at"])
    assert expires_at.utcoffset() is not None
    assert expires_at.timestamp() == grant.claims["exp"]

    # §9.3: not revoked yet, in either form of the list.
    assert pod.is_revoked(grant, signed=True) is False
    assert pod.is_revoked(grant, signed=False) is False

    # §9.1: the owner revokes; the next read is refused.
    revoked = owner.post(f"{server.url}/owner/grants/{grant.id}/revoke", timeout=10)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "revoked"
    assert revoked.json()["revoked_by"] == "owner"
    refused = pod.read("/profile", grant)
    assert_problem(refused, 401, "grant-revoked", "the grant was revoked")
    assert refused.json()["title"] == "Grant revoked"
    assert_dpop_challenge(refused, "invalid_token", "the grant was revoked")
    assert_security_headers(refused)
    assert pod.poll(pending).json()["grant_state"] == "revoked"

    # §9.3: the grant's bit is set.
    assert pod.is_revoked(grant, signed=True) is True
    assert pod.is_revoked(grant, signed=False) is True

    # §10: a signed Revoke notification reaches the callback.
    def is_revoke(item):
        return jws_payload(item[1]).get("type") == "Revoke"

    content_type, token = inbox.wait_for(is_revoke)
    assert content_type.startswith("application/jwt")
    notification = pod.verify_notification(token)
    assert notification is not None
    assert notification["grant"] == grant.id
    assert notification["revoked_by"] == "owner"
    assert len(notification["jti"]) == 16
    assert pod.verify_notification(token) is None  # a duplicate is recognised
