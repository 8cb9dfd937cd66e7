"""A hostile vendor against the live pod, on both backends: access requests.

A request that asks wrongly, is signed wrongly or is replayed must be refused with a problem+json
body that says why and leave nothing queued for the owner; a request's status is for its own
vendor only.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.server.vendor_setup import (
    EMAIL,
    OTHER_VENDOR,
    PURPOSE,
    REQUEST_TYP,
    SCHEMA,
    Vendor,
    assert_refused,
    b64json,
    new_vendor,
)
from vendor_client import VendorKey, make_proof

# -- access requests ---------------------------------------------------------------------------


def signed_request(
    server, private_key: ed25519.Ed25519PrivateKey, *, header: dict | None = None, **changes
) -> str:
    """A signed access request that the pod accepts, but for `changes`."""
    config = requests.get(f"{server.url}/.well-known/pds-configuration", timeout=10).json()
    now = int(time.time())
    claims = {
        "aud": server.url,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(16),
        "vendor": {"name": "Hostile Shop"},
        "scopes": [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}],
        "purpose": {"iri": PURPOSE, "description": "to send order confirmations"},
        "duration": 86400,
        "terms": [t["id"] for t in config["terms"] if t["required"]],
        **changes,
    }
    headers = {"typ": REQUEST_TYP, "jwk": VendorKey(private_key).public_jwk, **(header or {})}
    return jwt.encode(claims, private_key, algorithm="EdDSA", headers=headers)


def submit(server, signed: str) -> requests.Response:
    return requests.post(
        f"{server.url}/access-requests",
        data=signed,
        headers={"Content-Type": "application/jwt"},
        timeout=10,
    )


def assert_request_refused(server, owner, response: requests.Response, says: str) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert says in response.json()["detail"], response.json()
    assert owner.get(f"{server.url}/owner/access-requests").json()["requests"] == []


def test_the_hand_made_request_is_accepted_as_it_is(server, owner):
    response = submit(server, signed_request(server, ed25519.Ed25519PrivateKey.generate()))
    assert response.status_code == 202, response.text
    assert len(owner.get(f"{server.url}/owner/access-requests").json()["requests"]) == 1


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        pytest.param(
            {"scopes": [{"resource": "/secrets"}]}, "unknown resource '/secrets'", id="resource"
        ),
        pytest.param(
            {"scopes": [{"resource": "/profile", "fields": [SCHEMA + "creditCard"]}]},
            "unknown field(s) of /profile: https://schema.org/creditCard",
            id="field",
        ),
        pytest.param(
            {"scopes": [{"resource": "/profile", "modes": ["append"]}]},
            "/profile can only be read",
            id="append-on-profile",
        ),
        pytest.param(
            {"scopes": [{"resource": f"/vendors/{OTHER_VENDOR}/", "modes": ["append"]}]},
            "may append only to its own container",
            id="append-in-another-vendors-container",
        ),
        pytest.param(
            {"purpose": {"iri": "https://w3id.org/dpv#Surveillance", "description": "x"}},
            "is not one of the DPV purposes",
            id="purpose",
        ),
        pytest.param({"terms": []}, "requires these terms", id="no-terms"),
        pytest.param({"terms": ["no-tracking"]}, "requires these terms", id="only-optional-terms"),
        pytest.param({"terms": ["sell-everything"]}, "unknown term(s)", id="unknown-term"),
        pytest.param(
            {"callback": "http://169.254.169.254/latest/meta-data/"},
            "https URL",
            id="callback-http-metadata",
        ),
        pytest.param(
            {"callback": "https://169.254.169.254/latest/meta-data/"},
            "private or local",
            id="callback-metadata",
        ),
        pytest.param(
            {"callback": "https://[::ffff:169.254.169.254]/"},
            "private or local",
            id="callback-mapped-ipv6",
        ),
        pytest.param({"callback": "https://localhost/"}, "private or local", id="callback-local"),
        *(
            pytest.param({"callback": f"https://{host}/hook"}, "private or local", id=host)
            for host in (
                "127.1",
                "2130706433",
                "0x7f000001",
                "0177.0.0.1",
                "0x7f.1",
                "localhost.",
                "api.localhost",
                "127.0.0.1.",
                "0.0.0.0",  # noqa: S104 - a callback host, never bound
                "10.1",
                "[::1]",
                "[fe80::1%25eth0]",
                "[::ffff:7f00:1]",
            )
        ),
        pytest.param({"callback": "https://vendor.example:99999/"}, "not a valid URL", id="port"),
        pytest.param(
            {"callback": "https://user:pw@vendor.example/"}, "without credentials", id="userinfo"
        ),
        pytest.param({"aud": "https://another-pod.example"}, "aud must be this pod", id="aud"),
        pytest.param(
            {"exp": int(time.time()) + 3600}, "must expire within 600", id="long-lived-request"
        ),
        pytest.param({"duration": 10}, "duration is a number of seconds", id="duration"),
    ],
)
def test_an_access_request_that_asks_wrongly_is_refused_and_not_stored(
    server, owner, changes, says
):
    response = submit(
        server, signed_request(server, ed25519.Ed25519PrivateKey.generate(), **changes)
    )
    assert response.status_code == 422, response.text
    assert_request_refused(server, owner, response, says)


def test_an_access_request_with_alg_none_is_refused(server, owner):
    private_key = ed25519.Ed25519PrivateKey.generate()
    _header, payload, _signature = signed_request(server, private_key).split(".")
    header = b64json({"typ": REQUEST_TYP, "alg": "none", "jwk": VendorKey(private_key).public_jwk})
    response = submit(server, f"{header}.{payload}.")
    assert_request_refused(server, owner, response, "algorithm 'none' is not accepted")


def test_an_access_request_signed_by_another_key_than_its_jwk_is_refused(server, owner):
    claimed = VendorKey(ed25519.Ed25519PrivateKey.generate()).public_jwk
    signed = signed_request(server, ed25519.Ed25519PrivateKey.generate(), header={"jwk": claimed})
    response = submit(server, signed)
    assert_request_refused(server, owner, response, "Signature verification failed")


def test_an_access_request_of_another_type_is_refused(server, owner):
    signed = signed_request(server, ed25519.Ed25519PrivateKey.generate(), header={"typ": "JWT"})
    assert_request_refused(server, owner, submit(server, signed), "typ header must be")


def test_an_access_request_with_modes_that_are_not_strings_is_refused(server, owner):
    scopes = [{"resource": "/profile", "modes": [["read"]]}]
    response = submit(
        server, signed_request(server, ed25519.Ed25519PrivateKey.generate(), scopes=scopes)
    )
    assert_request_refused(server, owner, response, "modes of /profile")


def test_a_replayed_access_request_is_refused_and_queues_nothing(server, owner):
    signed = signed_request(server, ed25519.Ed25519PrivateKey.generate())
    assert submit(server, signed).status_code == 202
    replayed = submit(server, signed)
    assert replayed.status_code == 422, replayed.text
    assert "already submitted" in replayed.json()["detail"]
    assert len(owner.get(f"{server.url}/owner/access-requests").json()["requests"]) == 1


def test_a_request_status_is_hidden_from_other_keys(server, owner):
    asker, snoop = new_vendor(server), new_vendor(server)
    pending = asker.client.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}],
        purpose=PURPOSE,
        description="to send order confirmations",
        duration=dt.timedelta(days=1),
        vendor={"name": "Honest Shop"},
    )
    assert pending.status()["status"] == "pending"

    def status_as(vendor: Vendor, url: str) -> requests.Response:
        dpop = make_proof(vendor.key, "GET", url)
        return requests.get(url, headers={"DPoP": dpop}, timeout=10)

    someone_elses = status_as(snoop, pending.status_url)
    no_such = status_as(snoop, f"{server.url}/access-requests/{secrets.token_urlsafe(16)}")
    assert someone_elses.status_code == no_such.status_code == 404
    assert someone_elses.json() == no_such.json()
    assert someone_elses.headers["Content-Type"] == "application/problem+json"
    assert pending.id not in someone_elses.text and "Honest Shop" not in someone_elses.text

    unproven = requests.get(pending.status_url, timeout=10)
    assert_refused(unproven, 401, "invalid_dpop_proof", "invalid-dpop-proof", "proof is required")
