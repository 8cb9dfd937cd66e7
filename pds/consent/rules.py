"""Standing rules: the customer decides once, and requests that fit are decided at once.

Two kinds, against consent fatigue:

- "Always say no to advertising": a `deny` rule names purposes; a request for one of them is
  denied as soon as it arrives.
- "Allow vendors who accept my terms X to read fields Y for purpose Z, for at most N days": an
  `allow` rule. A request fits it only if it asks for nothing the rule does not allow (reading
  only, only those fields, for that purpose), accepts every term the rule names and, if the rule
  names IEEE 7012 agreements, accepted the one the customer proffered and it is among them
  (a vendor proposing an alternative is always left to the customer); it is then approved as
  asked, under that agreement, for at most N days. A rule never widens a request, and a
  request that asks for more waits for the customer as any other.

Deny rules win over allow rules. Every decision a rule makes is audited with the rule's id and
listed in the digest, where one click undoes it: an approval is revoked, a denial goes back to
the customer's waiting requests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from typing import Any, Literal

from pds.consent.agreements import ACCEPT, roster
from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.context import PodContext
from pds.consent.decisions import Decisions
from pds.consent.errors import AlreadyDecided, InvalidInput, RequestNotFound
from pds.consent.requests import AccessRequest, purposes
from pds.consent.scopes import READ, Scope, parse_scopes, scopes_from_json
from pds.consent.terms import current_terms
from pds.consent.vendor_identity import known_domains, looks_like_another
from pds.store import audit as audit_rows
from pds.store import pods
from pds.store import requests as request_rows

MAX_RULES = 50
MAX_DAYS = 365
DIGEST_DAYS = 30  # how far back the digest looks


@dataclasses.dataclass(frozen=True)
class Rule:
    id: str
    effect: Literal["allow", "deny"]
    purposes: frozenset[str]  # DPV purpose IRIs
    terms: frozenset[str] = frozenset()  # allow: the request must accept each of these
    scopes: tuple[Scope, ...] = ()  # allow: what may be read (read mode only)
    agreements: frozenset[str] = frozenset()  # allow: the vendor accepted one of these
    max_days: int | None = None  # allow: the longest grant it makes
    created_at: str = ""

    def fits(self, request: AccessRequest) -> bool:
        """Whether this rule decides `request` (for an allow rule: without widening it)."""
        if request.purpose.get("iri") not in self.purposes:
            return False
        if self.effect == "deny":
            return True
        if not self.terms <= set(request.terms):
            return False
        answer = request.agreement
        if answer is not None and answer.answer != ACCEPT:
            return False  # an alternative or a refusal of the customer's agreement: theirs to weigh
        if self.agreements and (answer is None or answer.proffered not in self.agreements):
            return False
        allowed = {s.resource: s for s in self.scopes}
        return all(
            asked.resource in allowed and asked.within(allowed[asked.resource])
            for asked in request.scopes
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "effect": self.effect,
            "purposes": sorted(self.purposes),
            "created_at": self.created_at,
        }
        if self.effect == "allow":
            out["terms"] = sorted(self.terms)
            out["agreements"] = sorted(self.agreements)
            out["scopes"] = [s.to_json() for s in self.scopes]
            out["max_days"] = self.max_days
        return out


@dataclasses.dataclass(frozen=True)
class RuleDecision:
    """A request a rule decided, as the digest lists it."""

    request: AccessRequest
    rule_id: str
    decision: Literal["approved", "denied"]
    at: dt.datetime
    undone: bool  # the customer took it back since


class StandingRules:
    def __init__(self, ctx: PodContext, decisions: Decisions):
        self.ctx = ctx
        self.decisions = decisions

    # -- the customer's rules ----------------------------------------------------------------

    def listed(self) -> list[Rule]:
        with self.ctx.store.read() as conn:
            settings = pods.get(conn, self.ctx.id).settings
        return [_rule(raw) for raw in settings.get("rules", [])]

    def add(self, raw: Any) -> Rule:
        """Check and keep a new rule; InvalidInput says what is wrong with it."""
        with self.ctx.store.begin() as conn:
            settings = dict(pods.lock(conn, self.ctx.id).settings)
            rule = _checked(raw, {t["id"] for t in current_terms(settings)}, self.ctx.clock())
            kept = list(settings.get("rules", []))
            if len(kept) >= MAX_RULES:
                raise InvalidInput(f"at most {MAX_RULES} rules: remove one first")
            settings["rules"] = [*kept, rule.to_json()]
            pods.update(conn, self.ctx.id, settings=settings)
            self.ctx.record(conn, OWNER, Action.RULES_UPDATE, Outcome.OK, detail={"added": rule.id})
        return rule

    def remove(self, rule_id: str) -> None:
        with self.ctx.store.begin() as conn:
            settings = dict(pods.lock(conn, self.ctx.id).settings)
            kept = [r for r in settings.get("rules", []) if r.get("id") != rule_id]
            if len(kept) == len(settings.get("rules", [])):
                raise InvalidInput(f"there is no rule {rule_id!r}")
            settings["rules"] = kept
            pods.update(conn, self.ctx.id, settings=settings)
            self.ctx.record(
                conn, OWNER, Action.RULES_UPDATE, Outcome.OK, detail={"removed": rule_id}
            )

    # -- deciding ----------------------------------------------------------------------------

    def decide(self, request: AccessRequest) -> AccessRequest:
        """Decide a newly submitted request if a rule fits it; else return it as it is."""
        rules = self.listed()
        rule = next((r for r in rules if r.effect == "deny" and r.fits(request)), None)
        rule = rule or next((r for r in rules if r.effect == "allow" and r.fits(request)), None)
        if rule is None:
            return request
        if rule.effect == "allow" and looks_like_another(
            request.vendor_id, request.vendor, known_domains(self.decisions.grants.list())
        ):
            return request  # a look-alike: the customer must see its warning first
        try:
            if rule.effect == "deny":
                return self.decisions.deny(request.id, by_rule=rule.id)
            duration = request.duration_seconds
            if rule.max_days is not None:
                duration = min(duration, rule.max_days * 86400)
            agreed = request.agreement.proffered if rule.agreements and request.agreement else None
            self.decisions.approve(
                request.id, duration_seconds=duration, agreement=agreed, by_rule=rule.id
            )
        except AlreadyDecided:  # the customer was quicker
            pass
        return self.decisions.requests.get(request.id)

    def digest(self, limit: int = 50) -> list[RuleDecision]:
        """The requests rules decided in the last DIGEST_DAYS days, newest first."""
        since = self.ctx.clock() - dt.timedelta(days=DIGEST_DAYS)
        with self.ctx.store.read() as conn:
            events = [
                event
                for action in (Action.REQUEST_APPROVE, Action.REQUEST_DENY)
                for event in audit_rows.query(
                    conn, self.ctx.id, action=action.value, since=since, limit=500
                )
                if event.detail.get("rule")
            ]
        events.sort(key=lambda e: e.at, reverse=True)
        out = []
        for event in events[:limit]:
            try:
                request = self.decisions.requests.get(str(event.detail.get("request")))
            except RequestNotFound:
                continue
            decision: Literal["approved", "denied"] = (
                "approved" if event.action == Action.REQUEST_APPROVE else "denied"
            )
            undone = (
                request.status == "pending"
                if decision == "denied"
                else request.grant_id is not None
                and self.decisions.grants.get(request.grant_id).revoked_at is not None
            )
            out.append(RuleDecision(request, str(event.detail["rule"]), decision, event.at, undone))
        return out

    def undo(self, request_id: str) -> AccessRequest:
        """Take back what a rule decided: revoke its grant, or put a denied request back among
        those waiting for the customer."""
        if not any(d.request.id == request_id for d in self.digest(limit=500)):
            raise InvalidInput("only a decision a rule made in the last 30 days can be undone here")
        request = self.decisions.requests.get(request_id)
        if request.status == "approved" and request.grant_id is not None:
            if self.decisions.grants.get(request.grant_id).revoked_at is not None:
                raise AlreadyDecided("its access was already taken back")
            self.decisions.grants.revoke(request.grant_id)
            return request
        if request.status == "denied":
            with self.ctx.store.begin() as conn:
                if request_rows.reopen(conn, self.ctx.id, request_id):
                    self.ctx.record(
                        conn,
                        OWNER,
                        Action.REQUEST_REOPEN,
                        Outcome.OK,
                        detail={"request": request_id, "vendor": request.vendor_id},
                    )
            return self.decisions.requests.get(request_id)
        raise AlreadyDecided(f"this request is {request.status}: there is nothing to undo")


def _rule(raw: dict[str, Any]) -> Rule:
    """A stored rule (checked when it was added)."""
    return Rule(
        id=raw["id"],
        effect=raw["effect"],
        purposes=frozenset(raw["purposes"]),
        terms=frozenset(raw.get("terms", [])),
        agreements=frozenset(raw.get("agreements", [])),
        scopes=tuple(scopes_from_json(raw.get("scopes", []))),
        max_days=raw.get("max_days"),
        created_at=raw.get("created_at", ""),
    )


def _checked(raw: Any, term_ids: set[str], now: dt.datetime) -> Rule:
    if not isinstance(raw, dict):
        raise InvalidInput("a rule is an object: effect, purposes, and for allow rules what")
    effect = raw.get("effect")
    if effect not in ("allow", "deny"):
        raise InvalidInput("a rule's effect is allow or deny")
    known = purposes()
    chosen = raw.get("purposes")
    if (
        not isinstance(chosen, list)
        or not chosen
        or not all(isinstance(p, str) and p in known for p in chosen)
    ):
        raise InvalidInput("name at least one purpose, each one the pod knows")
    rule_id = "r-" + secrets.token_hex(4)
    created = now.replace(microsecond=0).isoformat()
    if effect == "deny":
        return Rule(rule_id, "deny", frozenset(chosen), created_at=created)
    terms = raw.get("terms", [])
    if not isinstance(terms, list) or not all(t in term_ids for t in terms):
        raise InvalidInput("the terms of a rule must be among your terms")
    chosen_agreements = raw.get("agreements", [])
    if not isinstance(chosen_agreements, list) or not all(a in roster() for a in chosen_agreements):
        raise InvalidInput("a rule's agreements must be IEEE 7012 agreements of the roster")
    scopes = _read_scopes(raw.get("scopes"))
    max_days = raw.get("max_days")
    if not isinstance(max_days, int) or isinstance(max_days, bool) or not 1 <= max_days <= MAX_DAYS:
        raise InvalidInput(f"an allow rule lasts at most a number of days from 1 to {MAX_DAYS}")
    return Rule(
        id=rule_id,
        effect="allow",
        purposes=frozenset(chosen),
        terms=frozenset(terms),
        scopes=scopes,
        agreements=frozenset(chosen_agreements),
        max_days=max_days,
        created_at=created,
    )


def _read_scopes(raw: Any) -> tuple[Scope, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("an allow rule names what may be read: at least one resource")
    for scope in raw:
        if not isinstance(scope, dict) or scope.get("modes", [READ]) != [READ]:
            raise InvalidInput("a rule allows reading only: anything else is asked each time")
    return tuple(parse_scopes([{**s, "modes": [READ]} for s in raw]))
