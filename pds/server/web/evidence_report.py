"""The evidence about one vendor in plain words: what the report (vendor_report.html) shows.

It speaks of "the customer", for whoever they hand it to (a data-protection authority), with
every date in the customer's time zone. The vendor's name, words and web site stay plain text
here: the template escapes them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from pds.consent import Action, Grant, Outcome, Scope
from pds.consent.agreement_records import AgreementRecord
from pds.consent.agreements import ACCEPT, ALTERNATIVE, ANSWER, roster
from pds.consent.audit import OWNER
from pds.consent.requests import AccessRequest, purposes
from pds.consent.scopes import fields_of
from pds.consent.vendor_evidence import Evidence
from pds.server.web.activity import Entry, timeline
from pds.server.web.words import (
    MODE_WORDS,
    describe_duration,
    format_time,
    refusal_words,
    resource_words,
    zone_label,
)

STATE_WORDS = {
    "active": "in force: the vendor can read what it allows",
    "revoked": "taken back by the customer",
    "returned": "given back by the vendor",
    "expired": "ended: its time ran out",
}
# Events the timeline takes from the audit log besides the vendor's reads, appends and writes
# and the customer's shortening of a grant, said of whoever did them. Requests, decisions,
# revocations and deletions are told from the requests and grants themselves, once each.
OTHER_WORDS = {
    Action.REQUEST_REOPEN: "The customer undid a standing rule's refusal of {name}",
    Action.OFFER_RECEIVE: "{name} made an offer for one of the customer's intents",
    Action.OFFER_SHORTLIST: "The customer shortlisted an offer from {name}",
    Action.OFFER_DECLINE: "The customer declined an offer from {name}",
    Action.OFFER_ACCEPT: "The customer accepted an offer from {name}",
    Action.MESSAGE_RECEIVE: "{name} wrote to the customer",
    Action.MESSAGE_SEND: "The customer wrote to {name}",
    Action.THREAD_STATE: "The customer changed the state of a conversation with {name}",
    Action.RECORDS_SHARE: "The customer shared records kept in the pod with {name}",
    Action.EVIDENCE_EXPORT: "The customer exported the signed evidence about {name}",
}
_FROM_THE_LOG = frozenset({*OTHER_WORDS, Action.GRANT_SHORTEN})


@dataclasses.dataclass(frozen=True)
class Line:
    """One line of the timeline."""

    at: dt.datetime
    kind: str  # asked, answered, allowed, refused, read, ended, deletion, other
    text: str
    note: str = ""
    step: int = 2  # within a second: the request (0), its decision (1), then the rest

    @property
    def order(self) -> tuple[dt.datetime, int, dt.datetime]:
        # A decision's time is kept to the second, the request's to the microsecond.
        return self.at.replace(microsecond=0), self.step, self.at


@dataclasses.dataclass(frozen=True)
class Permission:
    """One grant, said plainly."""

    id: str
    state: str
    what: list[str]
    why: str
    purpose_label: str
    terms: list[str]
    agreement: str | None
    given: dt.datetime
    until: dt.datetime
    ended: dt.datetime | None
    deletion_asked: dt.datetime | None
    deletion_confirmed: dt.datetime | None
    deletion_statement: str | None  # the vendor's words when it confirmed


@dataclasses.dataclass(frozen=True)
class Report:
    evidence: Evidence
    zone: ZoneInfo
    permissions: list[Permission]
    timeline: list[Line]
    fields_read: list[str]
    reads: int
    refused: int
    archive_name: str  # the name of the archive's download

    def time(self, value: dt.datetime | None) -> str:
        return format_time(value, self.zone)

    @property
    def zone_words(self) -> str:
        return zone_label(self.zone)


def report_of(evidence: Evidence, term_titles: dict[str, str], archive_name: str) -> Report:
    """The report of `evidence`; `term_titles`: the customer's terms by id."""
    zone = ZoneInfo(evidence.time_zone)
    asked: set[str] = {
        e.detail["request"] for e in evidence.events if e.action == Action.REQUEST_SUBMIT
    }
    ruled: set[str] = {
        e.detail["request"]
        for e in evidence.events
        if e.action in (Action.REQUEST_APPROVE, Action.REQUEST_DENY) and "rule" in e.detail
    }
    shown = [e for e in evidence.events if e.action.is_data_access or e.action in _FROM_THE_LOG]
    entries = timeline(reversed(shown), zone)  # reads of a document on a day: one entry
    lines = [
        *(line for r in evidence.requests for line in _request_lines(r, evidence, asked, ruled)),
        *(line for g in evidence.grants for line in _grant_lines(g, evidence.name)),
        *(_event_line(e, evidence.name, zone) for e in entries),
    ]
    fields: list[str] = []
    for entry in entries:
        fields += [f for f in entry.fields if f not in fields]
    reads = [e for e in evidence.events if e.action == Action.DATA_READ]
    return Report(
        evidence=evidence,
        zone=zone,
        permissions=[_permission(g, term_titles) for g in evidence.grants],
        timeline=sorted(lines, key=lambda line: line.order),
        fields_read=fields,
        reads=sum(e.outcome == Outcome.ALLOWED for e in reads),
        refused=sum(e.outcome == Outcome.REFUSED for e in evidence.events),
        archive_name=archive_name,
    )


def _permission(grant: Grant, term_titles: dict[str, str]) -> Permission:
    return Permission(
        id=grant.id,
        state=STATE_WORDS.get(grant.state, grant.state),
        what=[_scope_words(s) for s in grant.scopes],
        why=grant.purpose.get("description", ""),
        purpose_label=_purpose_label(grant.purpose),
        terms=[term_titles.get(t, t) for t in grant.terms],
        agreement=_agreement_words(grant.agreement),
        given=grant.issued_at,
        until=grant.expires_at,
        ended=grant.revoked_at or (grant.expires_at if grant.state == "expired" else None),
        deletion_asked=grant.deletion_requested_at,
        deletion_confirmed=grant.deletion_acknowledged_at,
        deletion_statement=grant.deletion_statement,
    )


def _request_lines(
    request: AccessRequest, evidence: Evidence, submitted: set[str], by_rules: set[str]
) -> list[Line]:
    """The request as asked (by the vendor, or for it by the customer), answered, decided."""
    name = evidence.name
    what = "; ".join(_scope_words(s) for s in request.scopes)
    why = f"“{request.purpose.get('description', '')}” ({_purpose_label(request.purpose)})"
    length = describe_duration(request.duration_seconds)
    if request.id in submitted:
        text = f"{name} asked to {what}, for {length}. The reason it gave: {why}."
    else:
        text = f"The customer offered {name} access: {what}, for {length}. Reason: {why}."
    lines = [Line(request.created_at, "asked", text, f"Access request {request.id}", step=0)]
    for record in evidence.records:
        if record.request_id == request.id and record.interaction == ANSWER:
            answer = _answer_words(record, name)
            lines.append(
                Line(
                    record.at,
                    "answered",
                    answer,
                    "Its answer to the customer's terms (IEEE 7012)",
                    step=0,
                )
            )
    if request.decided_at is None:
        return lines
    by_rule = " by one of the customer's standing rules" if request.id in by_rules else ""
    if request.status != "approved":
        said_no = f"The customer said no{by_rule}."
        lines.append(Line(request.decided_at, "refused", said_no, step=1))
        return lines
    grant = next((g for g in evidence.grants if g.id == request.grant_id), None)
    under = _agreement_words(grant.agreement if grant else None)
    text = f"The customer allowed it{by_rule}{f', under the agreement {under}' if under else ''}."
    text += " The pod signed a permission and a consent receipt."
    note = f"Permission {request.grant_id}"
    lines.append(Line(request.decided_at, "allowed", text, note, step=1))
    return lines


def _answer_words(record: AgreementRecord, name: str) -> str:
    claims = record.claims()
    said = f"{name} answered the agreement the customer proffers (IEEE 7012), signed with its key"
    if claims.get("answer") == ACCEPT:
        return f"{said}: it accepted {_agreement_words(claims.get('proffered'))}."
    if claims.get("answer") == ALTERNATIVE:
        return f"{said}: it proposed {_agreement_words(claims.get('alternative'))} instead."
    return f"{said}: it rejected it."


def _agreement_words(agreement_id: object) -> str | None:
    agreement = roster().get(agreement_id) if isinstance(agreement_id, str) else None
    return f"“{agreement.title}” ({agreement.id})" if agreement else None


def _grant_lines(grant: Grant, name: str) -> list[Line]:
    note = f"Permission {grant.id}"
    lines = []
    if grant.revoked_at is not None:
        if grant.revoked_by == OWNER:
            text = "The customer took the permission back. The pod refuses every use of it since."
        else:
            text = f"{name} gave the permission back."
        lines.append(Line(grant.revoked_at, "ended", text, note))
    elif grant.state == "expired":
        lines.append(
            Line(grant.expires_at, "ended", "The permission ended: its time ran out.", note)
        )
    if grant.deletion_requested_at is not None:
        text = f"The customer asked {name} to delete the data it obtained with this permission."
        lines.append(Line(grant.deletion_requested_at, "deletion", text, note))
    if grant.deletion_acknowledged_at is not None:
        text = f"{name} confirmed the deletion, signed with its key; the pod signed a receipt."
        said = grant.deletion_statement
        lines.append(
            Line(
                grant.deletion_acknowledged_at,
                "deletion",
                text,
                f"{name} said: “{said}”" if said else note,
            )
        )
    return lines


def _event_line(entry: Entry, name: str, zone: ZoneInfo) -> Line:
    event = entry.event
    if event.action == Action.GRANT_SHORTEN:
        until = format_time(event.detail.get("until"), zone)
        text = f"The customer shortened the permission: it now ends {until}."
        return Line(event.at, "ended", text, f"Permission {event.grant_id}")
    if not event.action.is_data_access:
        return Line(event.at, "other", OTHER_WORDS[event.action].format(name=name) + ".")
    last = format_time(event.at, zone)
    times = f"{entry.count} times that day, the last at {last}" if entry.count > 1 else ""
    data = _data_words(event.resource)
    if event.outcome == Outcome.REFUSED:
        verb = {Action.DATA_READ: "read", Action.DATA_APPEND: "add a record to"}.get(
            event.action, "change"
        )
        reason = event.detail.get("reason")
        text = f"{name} tried to {verb} {data}. The pod refused: "
        text += _third_person(refusal_words(reason)) + "."
        note = "; ".join(n for n in (times, f"the pod's reason: {reason}" if reason else "") if n)
        return Line(entry.first_at, "refused", text, note)
    done = {Action.DATA_READ: "read", Action.DATA_APPEND: "added a record to"}.get(
        event.action, "changed"
    )
    fields = f": {', '.join(entry.fields)}" if entry.fields else ""
    return Line(entry.first_at, "read", f"{name} {done} {data}{fields}.", times)


def _scope_words(scope: Scope) -> str:
    """'see the customer's profile: Email address, Full name'."""
    verbs = " and ".join(MODE_WORDS.get(m, m) for m in sorted(scope.modes, key=_mode_order))
    words = f"{verbs} {_data_words(scope.resource)}"
    known = fields_of(scope.resource)  # in the order the customer's forms show them
    if scope.fields is not None:
        named = [f["name"] for f in known if f["iri"] in scope.fields]
        named += sorted(scope.fields - {f["iri"] for f in known})
        words += ": " + ", ".join(named)
    elif known:
        words += " (all of it)"
    return words


def _mode_order(mode: str) -> int:
    return 0 if mode == "read" else 1


def _purpose_label(purpose: dict[str, str]) -> str:
    iri = purpose.get("iri", "")
    return purposes().get(iri, {}).get("label", iri)


def _data_words(resource: str | None) -> str:
    """'the customer's profile'; a path the page has no words for, as it is."""
    words = resource_words(resource)
    if not words or words == resource:
        return resource or "the pod"
    return _third_person(words)


def _third_person(words: str) -> str:
    """The page's words to the customer ('your profile'), said of them for someone else."""
    for you, they in (
        ("You ", "The customer "),
        ("you had", "the customer had"),
        ("you gave", "the customer gave"),
    ):
        words = words.replace(you, they)
    return words.replace("your ", "the customer's ")
