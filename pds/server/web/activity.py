"""The activity page: accesses per vendor per day as a chart, and the timeline with repeated
reads folded into one line.

The chart's bars are SVG drawn on the server (the page's CSP allows no inline styles), one
small SVG per row that stretches to the page's width; names and days are HTML text, so they
stay readable at any width. Days are the customer's days, in their time zone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from pds.consent import Action, AuditEvent, Outcome
from pds.consent.scopes import fields_of
from pds.server.web.words import UTC, actor_words

DAYS = 14
BAR_WIDTH, BAR_GAP, ROW_HEIGHT = 14, 4, 40
FAILED_SIGN_INS = "failed sign-ins"  # the chart's row for attempts to sign in as the owner
_SIGN_IN_ACTIONS = (Action.OWNER_LOGIN, Action.OWNER_CLAIM)


@dataclasses.dataclass
class Bar:
    x: int
    y: int
    height: int
    count: int
    refused: int
    refused_height: int  # drawn on top of the bar, in the refusal colour
    day: str


@dataclasses.dataclass
class Row:
    name: str
    bars: list[Bar]
    total: int
    refused: int


@dataclasses.dataclass
class Chart:
    rows: list[Row]
    width: int  # of each row's drawing (its viewBox), stretched to the page
    height: int
    days: list[str]


def charted(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """What the chart counts: data accesses, and failed attempts to sign in."""
    return [
        e
        for e in events
        if Action(e.action).is_data_access
        or (e.action in _SIGN_IN_ACTIONS and e.outcome == Outcome.REFUSED)
    ]


def activity_chart(
    events: list[AuditEvent], names: dict[str, str], now: dt.datetime, zone: ZoneInfo = UTC
) -> Chart:
    today = now.astimezone(zone).date()
    days = [today - dt.timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    allowed: Counter = Counter()
    refused: Counter = Counter()
    for event in events:
        who = FAILED_SIGN_INS if event.action in _SIGN_IN_ACTIONS else event.actor
        key = (who, event.at.astimezone(zone).date())
        (refused if event.outcome == Outcome.REFUSED else allowed)[key] += 1

    def label(who: str) -> str:
        return "Failed sign-ins" if who == FAILED_SIGN_INS else actor_words(who, names)

    # A typed function, not a lambda: mypy checks a lambda key with its argument as Any.
    def by_name(who: str) -> tuple[bool, str]:
        return who == FAILED_SIGN_INS, label(who).lower()

    rows_of = sorted({a for a, _ in allowed} | {a for a, _ in refused}, key=by_name)
    peak = max([allowed[k] + refused[k] for k in set(allowed) | set(refused)], default=0)
    rows = []
    for who in rows_of:
        bars = []
        for column, day in enumerate(days):
            count = allowed[(who, day)] + refused[(who, day)]
            height = round((ROW_HEIGHT - 4) * count / peak) if peak else 0
            refused_height = round(height * refused[(who, day)] / count) if count else 0
            bars.append(
                Bar(
                    x=column * (BAR_WIDTH + BAR_GAP) + BAR_GAP // 2,
                    y=ROW_HEIGHT - height,
                    height=height,
                    count=count,
                    refused=refused[(who, day)],
                    refused_height=refused_height,
                    day=day.strftime("%-d %b"),
                )
            )
        rows.append(
            Row(
                name=label(who),
                bars=bars,
                total=sum(b.count for b in bars),
                refused=sum(b.refused for b in bars),
            )
        )
    return Chart(
        rows=rows,
        width=DAYS * (BAR_WIDTH + BAR_GAP),
        height=ROW_HEIGHT,
        days=[d.strftime("%-d %b") for d in days],
    )


# -- the timeline --------------------------------------------------------------------------------


@dataclasses.dataclass
class Entry:
    """One line of the timeline: an event, or a vendor's reads of one document on one day."""

    event: AuditEvent  # the latest of them
    count: int
    first_at: dt.datetime
    fields: list[str]  # the names of the fields read; empty: not recorded, or not a read


def timeline(events: Iterable[AuditEvent], zone: ZoneInfo = UTC) -> list[Entry]:
    """`events` (newest first) as timeline entries, newest first: a vendor's reads of one
    document on one day with one outcome are one entry with a count and the fields read."""
    entries: list[Entry] = []
    reads: dict[tuple, Entry] = {}
    for event in events:
        if event.action != Action.DATA_READ:
            entries.append(Entry(event, 1, event.at, []))
            continue
        key = (event.actor, event.resource, event.outcome, event.at.astimezone(zone).date())
        entry = reads.get(key)
        if entry is None:
            entry = reads[key] = Entry(event, 0, event.at, [])
            entries.append(entry)
        entry.count += 1
        entry.first_at = min(entry.first_at, event.at)
        _add_fields(entry, event)
    return entries


def _add_fields(entry: Entry, event: AuditEvent) -> None:
    if event.outcome != Outcome.ALLOWED:
        return
    read = event.detail.get("fields")
    if not isinstance(read, list):  # a whole document, or read before the audit named fields
        return
    known = fields_of(event.resource or "")
    names = {f["iri"]: f["name"] for f in known}
    for iri in read:
        name = names.get(str(iri)) or str(iri)
        if name not in entry.fields:
            entry.fields.append(name)
    order = [f["name"] for f in known]  # as the customer's form lists them
    entry.fields.sort(key=lambda name: order.index(name) if name in order else len(order))
