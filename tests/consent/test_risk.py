"""Risky combinations in a request are found by data-driven rules, each with a narrower choice
that asks for less, never more."""

from __future__ import annotations

import datetime as dt

import pytest

from pds.consent.requests import AccessRequest
from pds.consent.risk import RULES, RiskRule, purpose_and_broader, risks
from pds.consent.scopes import Scope, fields_of

SCHEMA = "https://schema.org/"
DPV = "https://w3id.org/dpv#"
BIRTH, ADDRESS, NAME = (SCHEMA + f for f in ("birthDate", "address", "name"))
DAY = 86400


def request(fields, purpose=DPV + "PersonalisedAdvertising", days=365, extra=()) -> AccessRequest:
    scope = Scope("/profile", frozenset({"read"}), None if fields is None else frozenset(fields))
    return AccessRequest(
        id="r",
        vendor_id="v" * 43,
        vendor={"name": "Ad Network"},
        scopes=[scope, *extra],
        purpose={"iri": purpose, "description": "adverts"},
        duration_seconds=days * DAY,
        terms=[],
        callback=None,
        status="pending",
        created_at=dt.datetime(2026, 12, 5, tzinfo=dt.UTC),
        decided_at=None,
        grant_id=None,
    )


def ids(found) -> list[str]:
    return [r.rule.id for r in found]


def test_date_of_birth_and_address_for_advertising_for_a_year_is_flagged_with_less():
    interests = Scope("/preferences", frozenset({"read"}), frozenset({"x"}))
    asked = request({BIRTH, ADDRESS, NAME}, extra=(interests,))

    (risk,) = [r for r in risks(asked) if r.rule.id == "birth-date-and-address-for-marketing"]

    assert risk.dropped == {BIRTH}
    assert risk.scopes[0].fields == {ADDRESS, NAME}
    assert risk.scopes[1] == interests  # other scopes as asked
    assert risk.duration_seconds == 30 * DAY
    assert all(s.within(a) for s, a in zip(risk.scopes, asked.scopes, strict=True))


@pytest.mark.parametrize(
    "asked",
    [
        request({BIRTH, NAME}),  # no address
        request({BIRTH, ADDRESS}, purpose=DPV + "DeliveryOfGoods"),  # not marketing
        request({BIRTH, ADDRESS}, days=30),  # not for long
    ],
)
def test_without_every_part_of_the_combination_nothing_is_flagged(asked):
    assert "birth-date-and-address-for-marketing" not in ids(risks(asked))


def test_a_request_for_every_field_counts_as_asking_for_each():
    assert "birth-date-and-address-for-marketing" in ids(risks(request(None)))
    (risk,) = [r for r in risks(request(None)) if r.rule.id.startswith("birth-date-and-addr")]
    every = {f["iri"] for f in fields_of("/profile")}
    assert risk.scopes[0].fields == every - {BIRTH}


def test_a_purpose_counts_with_every_broader_one():
    assert DPV + "Marketing" in purpose_and_broader(DPV + "PersonalisedAdvertising")
    assert DPV + "Marketing" not in purpose_and_broader(DPV + "DeliveryOfGoods")


def test_a_suggestion_never_asks_for_more_or_for_longer():
    for rule in RULES:
        asked = request(rule.together | {NAME}, purpose=DPV + "DirectMarketing", days=366)
        for risk in risks(asked, [rule]):
            assert risk.duration_seconds <= asked.duration_seconds
            assert all(s.within(a) for s, a in zip(risk.scopes, asked.scopes, strict=False))
            assert risk.dropped and not risk.dropped & (risk.scopes[0].fields or set())


def test_a_narrower_choice_that_would_leave_nothing_of_a_document_drops_its_scope():
    birth_only = RiskRule(
        id="test",
        resource="/profile",
        together=frozenset({BIRTH}),
        purposes=frozenset({DPV + "Marketing"}),
        longer_than_days=0,
        why="test",
        drop=frozenset({BIRTH}),
        max_days=7,
    )
    interests = Scope("/preferences", frozenset({"read"}), frozenset({"x"}))
    (risk,) = risks(request({BIRTH}, extra=(interests,)), [birth_only])
    assert risk.scopes == (interests,)
    assert risk.duration_seconds == 7 * DAY
