"""IEEE 7012 agreements (protocol §17) between a live pod and vendors, on both backends: the
roster and the customer's choice, the one-round rule, and the signed records both sides keep."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import secrets
import time

import jwt
import pytest
import requests
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ed25519

from pds import schemas
from pds.consent import open_pod
from pds.consent.agreements import P7012
from pds.store.tables import access_requests, agreement_records, audit_events
from tests.conftest import CHEAP_HASHER
from tests.server.vendor_setup import (
    EMAIL,
    INTENT,
    PURPOSE,
    REQUEST_TYP,
    TURTLE,
    Vendor,
    new_vendor,
)
from vendor_client import (
    Accept,
    Alternative,
    PendingRequest,
    ProtocolError,
    Reject,
    RelayClient,
    RequestDenied,
    VendorKey,
)
from vendor_client.agreements import RECORD_TYP, check_records
from vendor_client.errors import VendorClientError

ANSWER = "pds-agreement-answer+jwt"
SCOPES = [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}]
ROSTER = [
    "SD-BASE",
    "SD-BASE-DP",
    "SD-BASE-A",
    "SD-BASE-A-DP",
    "SD-BASE-AT",
    "SD-BASE-AT-DP",
    "SD-BASE-ATP",
    "SD-BASE-ATP-DP",
    "SD-BASE-ATP-S3P",
    "SD-BASE-ATP-S3P-DP",
    "PDC-INTENT",
    "PDC-AI",
    "PDC-GOOD",
]


def ask(vendor: Vendor, agreement=None, **vendor_info) -> PendingRequest:
    return vendor.client.request_access(
        SCOPES,
        purpose=PURPOSE,
        description="to send your order confirmations",
        duration=dt.timedelta(days=7),
        vendor={"name": "Example Shop", "homepage": "https://shop.example", **vendor_info},
        agreement=agreement,
    )


def signed_request(server, signer: Vendor, /, **claims) -> str:
    """An access request as §4 says, with `claims` added or changed."""
    config = signer.client.discover().raw
    now = int(time.time())
    body = {
        "aud": server.url,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(16),
        "vendor": {"name": "Example Shop"},
        "scopes": SCOPES,
        "purpose": {"iri": PURPOSE, "description": "to send your order confirmations"},
        "duration": 86400,
        "terms": [t["id"] for t in config["terms"] if t["required"]],
        **claims,
    }
    return signer.key.sign(body, REQUEST_TYP)


def post_request(server, signed: str) -> requests.Response:
    return requests.post(
        f"{server.url}/access-requests",
        data=signed,
        headers={"Content-Type": "application/jwt"},
        timeout=10,
    )


def counts(server) -> tuple[int, int, int]:
    """This pod's stored requests, agreement records and audit events."""
    pod_id = server.pod.id
    with server.store.read() as conn:
        return tuple(
            conn.execute(sa.select(sa.func.count()).where(table.c.pod_id == pod_id)).scalar_one()
            for table in (access_requests, agreement_records, audit_events)
        )


def owner_records(server, owner, request_id: str) -> list[dict]:
    answer = owner.get(f"{server.url}/owner/agreement-records", params={"request": request_id})
    assert answer.status_code == 200, answer.text
    return answer.json()["records"]


def approve(server, owner, pending: PendingRequest, **body) -> requests.Response:
    url = f"{server.url}/owner/access-requests/{pending.id}/approve"
    return owner.post(url, json=body) if body else owner.post(url)


# -- the roster and the customer's choice --------------------------------------------------------


def test_the_pod_proffers_the_customers_agreement_from_the_published_roster(server, owner):
    config = requests.get(f"{server.url}/.well-known/pds-configuration", timeout=10).json()
    assert config["agreement"]["id"] == "SD-BASE"
    assert config["agreement"]["title"] == "Service only"
    assert config["agreements_supported"] == ROSTER
    roster = requests.get(config["agreement_roster_uri"], timeout=10)
    assert roster.headers["Content-Type"] == "application/json"
    entries = {a["id"]: a for a in roster.json()["agreements"]}
    assert list(entries) == ROSTER
    assert "no tracking" in entries["SD-BASE"]["summary"]
    assert entries["SD-BASE"]["loosens"] == []
    assert entries["SD-BASE-A"]["loosens"] == [
        "They may analyse how you use their service (their own analytics, no one else's)."
    ]
    assert entries["PDC-INTENT"]["iri"] == P7012 + "PDC-INTENT"  # DPV names it
    assert entries["SD-BASE"]["url_confirmed"] is False

    chosen = owner.put(f"{server.url}/owner/agreement", json={"agreement": "SD-BASE-A"})
    assert chosen.status_code == 200, chosen.text
    again = requests.get(f"{server.url}/.well-known/pds-configuration", timeout=10).json()
    assert again["agreement"]["id"] == "SD-BASE-A"

    made_up = owner.put(f"{server.url}/owner/agreement", json={"agreement": "SD-EVERYTHING"})
    assert made_up.status_code == 422
    assert "is not an IEEE 7012 agreement of the roster" in made_up.json()["detail"]
    assert owner.get(f"{server.url}/owner/agreement").json()["agreement"]["id"] == "SD-BASE-A"


# -- the one-round rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ({"accept": "SD-EVERYTHING"}, "'SD-EVERYTHING' is not an IEEE 7012 agreement"),
        ({"alternative": "SD-BASE-EXTRA"}, "'SD-BASE-EXTRA' is not an IEEE 7012 agreement"),
        ({"alternative": ["SD-BASE-A", "SD-BASE-AT"]}, "propose at most one alternative"),
        ({"alternatives": ["SD-BASE-A"]}, "unknown member(s) alternatives"),
        ({"accept": "SD-BASE", "alternative": "SD-BASE-A"}, "exactly one of accept"),
        ({"alternative": "SD-BASE"}, "SD-BASE is the agreement the customer proffers"),
        ({"accept": "SD-BASE-A"}, "propose SD-BASE-A as your one alternative"),
        ({"reject": "yes"}, '{"reject": true}'),
        ({}, "exactly one of accept"),
        ("SD-BASE", "agreement is one of"),
        ({"accept": "SD-BASE", "proffered": "SD-BASE-A"}, "the customer proffers SD-BASE"),
    ],
)
def test_an_answer_outside_the_one_round_rule_is_refused_and_nothing_is_stored(
    server, owner, answer, says
):
    vendor = new_vendor(server)
    before = counts(server)

    refused = post_request(server, signed_request(server, vendor, agreement=answer))

    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith("#invalid-input")
    assert says in refused.json()["detail"]
    assert counts(server) == before


def test_an_alternative_the_vendor_does_not_itself_accept_is_refused(server, owner):
    vendor = new_vendor(server)
    before = counts(server)

    refused = post_request(
        server,
        signed_request(
            server,
            vendor,
            vendor={"name": "Example Shop", "agreements_accepted": ["SD-BASE"]},
            agreement={"alternative": "SD-BASE-A"},
        ),
    )

    assert refused.status_code == 422
    assert "your agreements_accepted does not list SD-BASE-A" in refused.json()["detail"]
    assert counts(server) == before


def test_a_second_round_on_the_same_request_is_refused(server, owner):
    vendor = new_vendor(server)
    pending = ask(vendor, Alternative("SD-BASE-A"), agreements_accepted=["SD-BASE-A"])
    before = counts(server)
    records = owner_records(server, owner, pending.id)

    with pytest.raises(VendorClientError) as second:
        pending.answer_agreement(Alternative("SD-BASE-AT"))

    assert second.value.response.status_code == 422
    assert "the one-round rule: this request already has your answer" in str(second.value)
    assert counts(server) == before
    assert owner_records(server, owner, pending.id) == records
    assert pending.status()["agreement"]["alternative"] == "SD-BASE-A"


def test_a_request_without_an_answer_may_be_answered_once_after(server, owner):
    vendor = new_vendor(server)
    pending = ask(vendor)
    assert "agreement" not in pending.status()
    assert owner_records(server, owner, pending.id) == []

    answered = pending.answer_agreement(Accept("SD-BASE"))

    assert answered["agreement"]["answer"] == "accept"
    assert [r.interaction for r in pending.agreement_records()] == ["proffer", "answer"]
    before = counts(server)
    with pytest.raises(VendorClientError) as again:
        pending.answer_agreement(Reject())
    assert again.value.response.status_code == 422
    assert counts(server) == before
    other = new_vendor(server)  # another key learns nothing of the request
    with pytest.raises(VendorClientError) as stranger:
        PendingRequest(other.client, pending.id, pending.status_url).answer_agreement(Reject())
    assert stranger.value.response.status_code == 404


def test_hostile_late_answers_are_refused_and_change_nothing(server, owner):
    vendor = new_vendor(server)
    pending = ask(vendor)
    url = pending.status_url + "/agreement"
    now = int(time.time())
    good = {"aud": pending.status_url, "iat": now, "exp": now + 300, "jti": "j" * 16}
    answer = {"agreement": {"accept": "SD-BASE"}}
    other = new_vendor(server)
    cases = [
        (vendor.key.sign({**good, **answer}, REQUEST_TYP), 422, "typ header must be"),
        (vendor.key.sign({**good, **answer, "aud": server.url}, ANSWER), 422, "aud must be"),
        (vendor.key.sign({**good, **answer, "exp": now - 600}, ANSWER), 422, "has expired"),
        (vendor.key.sign(good, ANSWER), 422, "agreement claim is required"),
        (vendor.key.sign({**good, "agreement": {"reject": 1}}, ANSWER), 422, "reject"),
        (other.key.sign({**good, **answer}, ANSWER), 404, "no access request here"),
        ("not.a.jws", 422, "not a compact JWS"),
    ]
    before = counts(server)
    for body, status, says in cases:
        sent = requests.post(
            url, data=body, headers={"Content-Type": "application/jwt"}, timeout=10
        )
        assert sent.status_code == status, (says, sent.text)
        assert says in sent.json()["detail"]
    nowhere = f"{server.url}/access-requests/{'x' * 22}"
    unknown = requests.post(
        nowhere + "/agreement",
        data=vendor.key.sign({**good, **answer, "aud": nowhere}, ANSWER),
        headers={"Content-Type": "application/jwt"},
        timeout=10,
    )
    assert unknown.status_code == 404
    as_text = requests.post(url, data="x", headers={"Content-Type": "text/plain"}, timeout=10)
    assert as_text.status_code == 415
    assert counts(server) == before
    assert "agreement" not in pending.status()
    for bad in (["SD-BASE"], {"agreement": 7}, {"agreement": None}):
        refused = owner.put(f"{server.url}/owner/agreement", json=bad)
        assert refused.status_code in (400, 422), refused.text
    assert owner.get(f"{server.url}/owner/agreement").json()["agreement"]["id"] == "SD-BASE"
    listed = owner.get(f"{server.url}/owner/agreement-records", params={"request": "\x00/.."})
    assert listed.json() == {"records": []}


# -- the customer decides; both sides hold the same records -------------------------------------


def test_an_accepted_agreement_travels_in_the_grant_and_both_sides_hold_matching_records(
    server, owner, customer_data
):
    vendor = new_vendor(server)
    pending = ask(vendor, Accept("SD-BASE"), agreements_accepted=["SD-BASE", "SD-BASE-A"])

    approved = approve(server, owner, pending)
    assert approved.status_code == 201, approved.text
    assert approved.json()["agreement"]["id"] == "SD-BASE"
    grant = pending.wait(timeout=10)  # the client checks the records' signatures and contents

    assert grant.agreement is not None and grant.agreement["id"] == "SD-BASE"
    steps = grant.agreement_records
    assert [(r.interaction, r.status) for r in steps] == [
        ("proffer", P7012 + "AgreementNegotiationInitiated"),
        ("answer", P7012 + "AgreementNegotiationConfirmationRequired"),
        ("decision", P7012 + "AgreementAccepted"),
    ]
    assert grant.agreement["record"] == steps[-1].id
    kept = owner_records(server, owner, pending.id)
    assert [r["id"] for r in kept] == [r.id for r in steps]
    assert [r["jws"] for r in kept] == [r.token for r in steps]  # the very same signed records
    assert kept[1]["vendor_jws"] == pending.signed  # the vendor's half, as it signed it
    decision = steps[-1].claims
    assert decision["first_party"]["id"] == server.url
    assert decision["second_party"]["id"] == vendor.id
    assert decision["second_party"]["name"] == "Example Shop"
    assert decision["agreed"] == "SD-BASE"
    assert decision["context"]["grant"] == grant.id
    assert (
        dt.datetime.fromisoformat(decision["time"]).timestamp()
        == jwt.decode(grant.token, options={"verify_signature": False})["iat"]
    )

    receipt = vendor.client.verify_receipt(grant)
    assert receipt["agreement"]["id"] == "SD-BASE"
    assert receipt["agreement"]["record"] == steps[-1].id
    assert receipt["iso27560"]["agreement"]["id"] == "SD-BASE"
    assert receipt["iso27560"]["record_id"] == grant.id
    assert receipt["iso27560"]["event"]["event_state"] == "https://w3id.org/dpv#ConsentGiven"
    assert receipt["iso27560"]["event"]["validity_duration"] == "PT604800S"
    assert vendor.client.read("/profile", grant)  # the grant works as any other


@pytest.mark.parametrize("chosen", ["SD-BASE-A", "SD-BASE"])
def test_the_customer_approves_with_the_vendors_alternative_or_their_own(
    server, owner, customer_data, chosen
):
    vendor = new_vendor(server)
    pending = ask(vendor, Alternative("SD-BASE-A"))
    shown = owner.get(f"{server.url}/owner/access-requests/{pending.id}").json()
    assert shown["agreement"] == {
        "proffered": "SD-BASE",
        "answer": "alternative",
        "alternative": "SD-BASE-A",
    }
    before = counts(server)
    neither = approve(server, owner, pending, agreement="SD-BASE-AT")
    assert neither.status_code == 422
    assert "choose SD-BASE or SD-BASE-A" in neither.json()["detail"]
    assert counts(server) == before

    assert approve(server, owner, pending, agreement=chosen).status_code == 201
    grant = pending.wait(timeout=10)

    assert grant.agreement is not None and grant.agreement["id"] == chosen
    answer, decision = grant.agreement_records[1:]
    assert answer.status == P7012 + "AgreementNegotiationCounterOfferMade"
    assert answer.claims["alternative"] == "SD-BASE-A"
    assert (decision.agreed, decision.status) == (chosen, P7012 + "AgreementAccepted")
    assert owner.get(f"{server.url}/owner/grants/{grant.id}").json()["agreement"]["id"] == chosen


def test_a_rejection_is_recorded_on_both_sides_and_the_customer_can_still_say_no(server, owner):
    vendor = new_vendor(server)
    pending = ask(vendor, Reject())
    status = pending.status()["agreement"]
    assert (status["answer"], status["agreed"]) == ("reject", None)
    assert [r.status for r in pending.agreement_records()][-1] == (
        P7012 + "AgreementNegotiationRefused"
    )

    denied = owner.post(f"{server.url}/owner/access-requests/{pending.id}/deny")
    assert denied.status_code == 200, denied.text

    with pytest.raises(RequestDenied):
        pending.wait(timeout=5)
    steps = pending.agreement_records()
    assert [(r.interaction, r.agreed) for r in steps] == [
        ("proffer", None),
        ("answer", None),
        ("decision", None),
    ]
    assert steps[-1].status == P7012 + "AgreementRefused"
    assert steps[-1].claims["context"]["access"] == "denied"
    assert [r["id"] for r in owner_records(server, owner, pending.id)] == [r.id for r in steps]


def test_the_vendor_catches_a_forged_or_misplaced_record(server, owner):
    """The vendor's checks are real: a record not signed by the pod, or about another request,
    another key or another answer than the one it signed, does not pass."""
    vendor = new_vendor(server)
    first, second = ask(vendor, Accept("SD-BASE")), ask(vendor, Reject())
    tokens = first.status()["agreement"]["records"]
    header = jwt.get_unverified_header(tokens[0])
    claims = jwt.decode(tokens[0], options={"verify_signature": False})
    forged = jwt.encode(
        {**claims, "proffered": "SD-BASE-ATP-S3P"},
        ed25519.Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": header["kid"], "typ": header["typ"]},
    )
    with pytest.raises(ProtocolError, match="signature does not verify"):
        vendor.client.verify_pod_token(forged, RECORD_TYP)

    verified = [(t, vendor.client.verify_pod_token(t, RECORD_TYP)) for t in tokens]
    mine = {"pod_url": server.url, "vendor_id": vendor.id}
    kept = check_records(verified, **mine, request_id=first.id, signed_answer=first.signed)
    assert [r.interaction for r in kept] == ["proffer", "answer"]
    with pytest.raises(ProtocolError, match="about another request"):
        check_records(verified, **mine, request_id=second.id)
    with pytest.raises(ProtocolError, match="not about the answer we signed"):
        check_records(verified, **mine, request_id=first.id, signed_answer=second.signed)
    with pytest.raises(ProtocolError, match="another second party"):
        check_records(verified, pod_url=server.url, vendor_id="W" * 43, request_id=first.id)


# -- moving the pod, intents ----------------------------------------------------------------------


def test_the_records_move_with_the_pod_in_an_archive(server, owner, customer_data, pod_name):
    vendor = new_vendor(server)
    pending = ask(vendor, Alternative("SD-BASE-A"))
    approve(server, owner, pending, agreement="SD-BASE-A")
    grant = pending.wait(timeout=10)
    out = io.BytesIO()
    server.pod.export_archive(out)

    moved = open_pod(
        server.store,
        pod_name + "-moved",
        f"http://{pod_name}-moved.localhost:9999",
        password_hasher=CHEAP_HASHER,
    )
    moved.import_archive(io.BytesIO(out.getvalue()))

    kept = [dataclasses.astuple(r) for r in moved.agreements.records(pending.id)]
    assert kept == [dataclasses.astuple(r) for r in server.pod.agreements.records(pending.id)]
    assert len(kept) == 3
    assert moved.grants.get(grant.id).agreement == "SD-BASE-A"
    assert moved.requests.get(pending.id).agreement == server.pod.requests.get(pending.id).agreement


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)  # a loopback relay


def test_a_published_intent_carries_the_agreement_the_customer_proffered(
    server, owner, customer_data, loopback_relay
):
    owner.put(f"{server.url}/owner/agreement", json={"agreement": "SD-BASE-DP"})
    owner.put(f"{server.url}/owner/relays", json={"relays": [loopback_relay.url]}, timeout=10)
    sample = schemas.sample_documents()[INTENT]
    owner.put(f"{server.url}/data{INTENT}", data=sample.encode(), headers=TURTLE)
    published = owner.post(f"{server.url}/owner/intents/small-car/publish", timeout=10)
    assert published.status_code == 200, published.text
    owner.put(f"{server.url}/owner/agreement", json={"agreement": "SD-BASE"})  # changed after

    intent = owner.get(f"{server.url}/owner/intents/small-car").json()["published"]
    assert intent["agreement"]["id"] == "PDC-INTENT"  # what the intent itself is given under
    assert intent["proffered_agreement"]["id"] == "SD-BASE-DP"  # as when it was published
    [relayed] = list(RelayClient(loopback_relay.url, VendorKey.generate()).intents(category="916"))
    assert relayed["proffered_agreement"] == intent["proffered_agreement"]
