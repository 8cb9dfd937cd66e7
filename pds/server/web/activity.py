"""The activity chart: accesses per vendor per day, drawn as a small SVG on the server."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from pds.consent import AuditEvent, Outcome
from pds.server.web.words import actor_words

DAYS = 14
BAR_WIDTH, BAR_GAP, ROW_HEIGHT, LABEL_WIDTH = 14, 4, 44, 170


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
    y: int
    bars: list[Bar]
    total: int


@dataclasses.dataclass
class Chart:
    rows: list[Row]
    width: int
    height: int
    days: list[str]


def activity_chart(events: list[AuditEvent], names: dict[str, str], now: dt.datetime) -> Chart:
    today = now.date()
    days = [today - dt.timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    allowed: Counter = Counter()
    refused: Counter = Counter()
    for event in events:
        key = (event.actor, event.at.date())
        (refused if event.outcome == Outcome.REFUSED else allowed)[key] += 1

    # A typed function, not a lambda: mypy checks a lambda key with its argument as Any and
    # then picks dict.get's `-> str | None` overload.
    def by_name(vendor: str) -> str:
        return names.get(vendor, vendor).lower()

    vendors = sorted({a for a, _ in allowed} | {a for a, _ in refused}, key=by_name)
    peak = max([allowed[k] + refused[k] for k in set(allowed) | set(refused)], default=0)
    rows = []
    for index, vendor in enumerate(vendors):
        top = index * ROW_HEIGHT
        bars = []
        for column, day in enumerate(days):
            count = allowed[(vendor, day)] + refused[(vendor, day)]
            height = round((ROW_HEIGHT - 12) * count / peak) if peak else 0
            refused_height = round(height * refused[(vendor, day)] / count) if count else 0
            bars.append(
                Bar(
                    x=LABEL_WIDTH + column * (BAR_WIDTH + BAR_GAP),
                    y=top + ROW_HEIGHT - 6 - height,
                    height=height,
                    count=count,
                    refused=refused[(vendor, day)],
                    refused_height=refused_height,
                    day=day.strftime("%-d %b"),
                )
            )
        rows.append(
            Row(
                name=actor_words(vendor, names),
                y=top,
                bars=bars,
                total=sum(b.count for b in bars),
            )
        )
    width = LABEL_WIDTH + DAYS * (BAR_WIDTH + BAR_GAP)
    return Chart(
        rows=rows,
        width=width,
        height=max(len(rows), 1) * ROW_HEIGHT + 20,
        days=[d.strftime("%-d %b") for d in days],
    )
