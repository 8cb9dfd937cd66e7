"""Every vendor request through a grant is in the customer's audit log, decided before anything
else can refuse it, and every kind of event has words on the consent page."""

from __future__ import annotations

import datetime as dt

import requests

from pds.consent import Action, AuditEvent, Outcome
from pds.server.web.words import EVENT_WORDS, describe_event
from vendor_client import DPoPAuth


def test_a_read_refused_for_its_accept_header_was_audited_as_allowed_first(server, owner, reader):
    response = requests.get(
        f"{server.url}/data/profile",
        auth=DPoPAuth(reader.key, reader.grant.token),
        headers={"Accept": "application/json"},
        timeout=10,
    )

    assert response.status_code == 406
    assert response.headers["Content-Type"] == "application/problem+json"
    events = owner.get(
        f"{server.url}/owner/audit", params={"actor": reader.id, "action": "data.read"}
    ).json()["events"]
    assert [(e["resource"], e["outcome"]) for e in events] == [("/profile", "allowed")]


def test_every_audit_action_is_worded_for_the_customer():
    assert set(EVENT_WORDS) == set(Action)
    names = {"v" * 43: "Example Shop"}
    for action in Action:
        at = dt.datetime.now(dt.UTC)
        event = AuditEvent(1, at, "v" * 43, action, "/profile", Outcome.OK, None, {})
        sentence = describe_event(event, names)
        assert sentence.startswith("Example Shop ") and action.value not in sentence
