"""Standing rules: requests that fit are decided at once, never widened, and undone in one step."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.server.vendor_setup import EMAIL, PURPOSE, new_vendor
from vendor_client import GrantRevoked, RequestDenied

ADVERTISING = "https://w3id.org/dpv#Advertising"
NAME = "https://schema.org/name"
SCHEMA_ADDRESS = "https://schema.org/address"
EMAIL_ONLY = [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}]


EVERY_TERM = ["use-for-stated-purpose", "no-resale", "delete-when-ended", "no-tracking"]


def ask(server, scopes=EMAIL_ONLY, purpose=PURPOSE, days=90, **kw):
    kw.setdefault("accept_terms", EVERY_TERM)
    kw.setdefault("vendor", {"name": "Rule Shop"})
    vendor = new_vendor(server)
    pending = vendor.client.request_access(
        scopes,
        purpose=purpose,
        description="to send you receipts",
        duration=dt.timedelta(days=days),
        **kw,
    )
    return vendor, pending


def add_rule(server, owner, rule) -> dict:
    added = owner.post(f"{server.url}/owner/rules", json=rule)
    assert added.status_code == 201, added.text
    return added.json()


def status_of(server, owner, pending) -> dict:
    return owner.get(f"{server.url}/owner/access-requests/{pending.id}").json()


ALLOW_EMAIL = {
    "effect": "allow",
    "purposes": [PURPOSE],
    "scopes": [{"resource": "/profile", "fields": [EMAIL, NAME]}],
    "terms": ["no-tracking"],  # not required: only some vendors accept it
    "max_days": 30,
}


def test_a_request_within_an_allow_rule_is_approved_at_once_as_asked_and_no_longer(
    server, owner, customer_data
):
    rule = add_rule(server, owner, ALLOW_EMAIL)
    vendor, pending = ask(server)
    grant = pending.wait(timeout=5)
    assert "@" in vendor.client.read("/profile", grant).serialize(format="turtle")
    shown = owner.get(f"{server.url}/owner/grants/{grant.id}").json()
    [scope] = shown["scopes"]
    assert (scope["resource"], scope["modes"], scope["fields"]) == ("/profile", ["read"], [EMAIL])
    lasts = dt.datetime.fromisoformat(shown["expires_at"]) - dt.datetime.fromisoformat(
        shown["issued_at"]
    )
    assert lasts == dt.timedelta(days=30)  # asked for 90: the rule's limit holds
    [decided] = owner.get(f"{server.url}/owner/rules/digest").json()["decided"]
    assert decided["rule"] == rule["id"] and decided["decision"] == "approved"
    assert decided["request"]["id"] == pending.id and not decided["undone"]


@pytest.mark.parametrize(
    "kind",
    ["more fields", "another purpose", "terms not accepted", "another resource"],
)
def test_a_request_asking_more_than_a_rule_waits_for_the_customer(
    server, owner, customer_data, kind
):
    add_rule(server, owner, ALLOW_EMAIL)
    scopes, purpose, extra = EMAIL_ONLY, PURPOSE, {}
    if kind == "more fields":
        scopes = [
            {"resource": "/profile", "modes": ["read"], "fields": [EMAIL, NAME, SCHEMA_ADDRESS]}
        ]
    elif kind == "another purpose":
        purpose = ADVERTISING
    elif kind == "terms not accepted":
        extra = {"accept_terms": ["use-for-stated-purpose", "no-resale", "delete-when-ended"]}
    elif kind == "another resource":
        scopes = [*EMAIL_ONLY, {"resource": "/preferences", "modes": ["read"]}]
    _vendor, pending = ask(server, scopes, purpose, **extra)
    assert status_of(server, owner, pending)["status"] == "pending"
    assert owner.get(f"{server.url}/owner/rules/digest").json()["decided"] == []


def test_always_say_no_wins_and_can_be_undone(server, owner, customer_data):
    add_rule(server, owner, {**ALLOW_EMAIL, "purposes": [PURPOSE, ADVERTISING]})
    add_rule(server, owner, {"effect": "deny", "purposes": [ADVERTISING]})
    _vendor, pending = ask(server, purpose=ADVERTISING)
    with pytest.raises(RequestDenied):
        pending.wait(timeout=5)
    [decided] = owner.get(f"{server.url}/owner/rules/digest").json()["decided"]
    assert decided["decision"] == "denied"
    undone = owner.post(f"{server.url}/owner/rules/digest/{pending.id}/undo")
    assert undone.status_code == 200 and undone.json()["status"] == "pending"
    assert owner.get(f"{server.url}/owner/rules/digest").json()["decided"][0]["undone"]
    approved = owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve")
    assert approved.status_code == 201, approved.text


def test_undoing_an_approval_revokes_the_grant(server, owner, customer_data):
    add_rule(server, owner, ALLOW_EMAIL)
    vendor, pending = ask(server)
    grant = pending.wait(timeout=5)
    assert owner.post(f"{server.url}/owner/rules/digest/{pending.id}/undo").status_code == 200
    with pytest.raises(GrantRevoked):
        vendor.client.read("/profile", grant)
    again = owner.post(f"{server.url}/owner/rules/digest/{pending.id}/undo")
    assert again.status_code == 409


@pytest.mark.parametrize(
    "rule",
    [
        {"effect": "maybe", "purposes": [PURPOSE]},
        {"effect": "deny", "purposes": []},
        {"effect": "deny", "purposes": ["https://example.org/not-a-purpose"]},
        {**ALLOW_EMAIL, "max_days": 0},
        {**ALLOW_EMAIL, "max_days": 366},
        {**ALLOW_EMAIL, "terms": ["made-up"]},
        {**ALLOW_EMAIL, "scopes": [{"resource": "/profile", "modes": ["read", "append"]}]},
        {**ALLOW_EMAIL, "scopes": [{"resource": "/nowhere"}]},
        {**ALLOW_EMAIL, "scopes": []},
        [],
    ],
)
def test_bad_rules_are_refused_and_nothing_is_kept(server, owner, rule):
    refused = owner.post(f"{server.url}/owner/rules", json=rule)
    assert refused.status_code in (400, 422), refused.text
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert owner.get(f"{server.url}/owner/rules").json()["rules"] == []


def test_removing_a_rule_leaves_new_requests_to_the_customer(server, owner, customer_data):
    rule = add_rule(server, owner, ALLOW_EMAIL)
    assert owner.delete(f"{server.url}/owner/rules/{rule['id']}").status_code == 204
    _vendor, pending = ask(server)
    assert status_of(server, owner, pending)["status"] == "pending"


def test_a_rule_on_an_agreement_approves_vendors_accepting_it_and_leaves_alternatives(
    server, owner, customer_data
):
    from vendor_client import Accept, Alternative

    rule = add_rule(server, owner, {**ALLOW_EMAIL, "terms": [], "agreements": ["SD-BASE"]})
    assert rule["agreements"] == ["SD-BASE"]
    _vendor, pending = ask(server, agreement=Accept("SD-BASE"))
    grant = pending.wait(timeout=5)
    assert grant.agreement is not None and grant.agreement["id"] == "SD-BASE"
    # The signed decision both sides keep says a standing rule made it, and which.
    decision = grant.agreement_records[-1]
    assert decision.interaction == "decision" and decision.agreed == "SD-BASE"
    assert decision.claims["context"]["standing_rule"] == rule["id"]
    _other, proposing = ask(server, agreement=Alternative("SD-BASE-A"))
    assert status_of(server, owner, proposing)["status"] == "pending"
    _silent, silent = ask(server)  # no IEEE 7012 answer at all
    assert status_of(server, owner, silent)["status"] == "pending"
    bad = owner.post(f"{server.url}/owner/rules", json={**ALLOW_EMAIL, "agreements": ["MY-OWN"]})
    assert bad.status_code == 422


def test_only_what_a_rule_decided_is_undone(server, owner, customer_data):
    _vendor, pending = ask(server)
    denied = owner.post(f"{server.url}/owner/access-requests/{pending.id}/deny")
    assert denied.status_code == 200, denied.text
    refused = owner.post(f"{server.url}/owner/rules/digest/{pending.id}/undo")
    assert refused.status_code == 422
    assert status_of(server, owner, pending)["status"] == "denied"


def test_a_look_alike_of_a_vendor_already_granted_waits_for_the_customer_despite_a_rule(
    server, owner, customer_data
):
    add_rule(server, owner, ALLOW_EMAIL)
    _, real = ask(server, vendor={"name": "Rule Shop", "homepage": "https://shop.example/"})
    assert real.wait(timeout=5)  # the first shop fits the rule

    # Two Cyrillic letters: it reads as shop.example, and asks for no more than the rule allows.
    _, lookalike = ask(
        server, vendor={"name": "Rule Shop", "homepage": "https://sh\u043ep.example/"}
    )

    assert status_of(server, owner, lookalike)["status"] == "pending"
    digest = owner.get(f"{server.url}/owner/rules/digest").json()["decided"]
    assert [d["request"]["id"] for d in digest] == [real.id]
