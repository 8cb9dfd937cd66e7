"""Risky combinations in an access request, each with a narrower choice to suggest.

Some fields are harmless alone and revealing together: a date of birth plus a postal address
pick one person out of a country, and for advertising, kept for a year, that is a profile. The
rules are data (`RULES`): which fields together, for which purposes (a purpose counts with every
narrower one, by the `skos:broader` links of purposes.ttl), for longer than how many days; and
the narrower choice: the same request without some fields, for at most some days. A rule only
ever suggests less than was asked, so following it can never widen a grant.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from functools import cache

from rdflib import URIRef
from rdflib.namespace import SKOS

from pds import schemas
from pds.consent.requests import AccessRequest
from pds.consent.scopes import Scope, fields_of

SCHEMA = "https://schema.org/"
DPV = "https://w3id.org/dpv#"
DAY = 86400


@dataclasses.dataclass(frozen=True)
class RiskRule:
    id: str
    resource: str
    together: frozenset[str]  # field IRIs: risky when every one of them is asked for
    purposes: frozenset[str]  # DPV purposes (with every narrower one)
    longer_than_days: int
    why: str  # said to the customer, as it is
    drop: frozenset[str]  # the suggestion: the same without these fields...
    max_days: int  # ...for at most this many days


RULES: tuple[RiskRule, ...] = (
    RiskRule(
        id="birth-date-and-address-for-marketing",
        resource="/profile",
        together=frozenset({SCHEMA + "birthDate", SCHEMA + "address"}),
        purposes=frozenset({DPV + "Marketing"}),
        longer_than_days=30,
        why=(
            "Your date of birth and your postal address together are enough to pick you out "
            "of everyone in your country. For marketing, kept for a long time, they make a "
            "profile of you that can be sold on or matched with other data."
        ),
        drop=frozenset({SCHEMA + "birthDate"}),
        max_days=30,
    ),
    RiskRule(
        id="phone-and-address-for-marketing",
        resource="/profile",
        together=frozenset({SCHEMA + "telephone", SCHEMA + "address"}),
        purposes=frozenset({DPV + "Marketing"}),
        longer_than_days=90,
        why=(
            "Your phone number and your postal address together let marketers reach you "
            "at home and by phone for a long time, and are often traded between them."
        ),
        drop=frozenset({SCHEMA + "telephone"}),
        max_days=90,
    ),
    RiskRule(
        id="birth-date-and-name-for-a-year",
        resource="/profile",
        together=frozenset({SCHEMA + "name", SCHEMA + "birthDate"}),
        purposes=frozenset({DPV + "Personalisation", DPV + "Marketing"}),
        longer_than_days=180,
        why=(
            "Your full name and date of birth are what many services use to check who you "
            "are; kept for a long time to tailor offers, they are worth more to a thief "
            "than to the offers."
        ),
        drop=frozenset({SCHEMA + "birthDate"}),
        max_days=180,
    ),
)


@dataclasses.dataclass(frozen=True)
class Risk:
    rule: RiskRule
    scopes: tuple[Scope, ...]  # the narrower choice: what to allow instead
    duration_seconds: int  # and for how long
    dropped: frozenset[str]  # the fields it leaves out


def risks(request: AccessRequest, rules: Iterable[RiskRule] = RULES) -> list[Risk]:
    """The rules `request` falls under, each with its narrower choice."""
    purpose = request.purpose.get("iri", "")
    found = []
    for rule in rules:
        asked = _asked_fields(request.scopes, rule.resource)
        if (
            rule.together <= asked
            and rule.purposes & purpose_and_broader(purpose)
            and request.duration_seconds > rule.longer_than_days * DAY
        ):
            found.append(
                Risk(
                    rule,
                    _without(request.scopes, rule.resource, rule.drop),
                    min(request.duration_seconds, rule.max_days * DAY),
                    rule.drop & asked,
                )
            )
    return found


@cache
def purpose_and_broader(iri: str) -> frozenset[str]:
    """`iri` and every purpose it is narrower than (transitively), as purposes.ttl says."""
    graph = schemas.purposes_graph()
    seen = {iri}
    todo = [URIRef(iri)]
    while todo:
        for broader in graph.objects(todo.pop(), SKOS.broader):
            if str(broader) not in seen:
                seen.add(str(broader))
                todo.append(URIRef(str(broader)))
    return frozenset(seen)


def _asked_fields(scopes: Iterable[Scope], resource: str) -> frozenset[str]:
    for scope in scopes:
        if scope.resource == resource:
            if scope.fields is not None:
                return scope.fields
            return frozenset(f["iri"] for f in fields_of(resource))  # None: every field
    return frozenset()


def _without(scopes: Iterable[Scope], resource: str, drop: frozenset[str]) -> tuple[Scope, ...]:
    narrower = []
    for scope in scopes:
        if scope.resource == resource:
            kept = _asked_fields([scope], resource) - drop
            if not kept:
                continue
            scope = Scope(scope.resource, scope.modes, kept)
        narrower.append(scope)
    return tuple(narrower)
