"""The activity chart counts what was refused in red, and only that."""

from __future__ import annotations

import datetime as dt

from pds.consent import Action, AuditEvent, Outcome
from pds.server.web.activity import activity_chart

NOW = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)
SHOP = "s" * 43


def event(actor: str, action: Action, outcome: Outcome) -> AuditEvent:
    return AuditEvent(1, NOW, actor, action, "/profile", outcome, None, {})


def test_the_owners_own_changes_are_not_drawn_as_refusals():
    chart = activity_chart(
        [
            event("owner", Action.DATA_WRITE, Outcome.OK),
            event(SHOP, Action.DATA_READ, Outcome.ALLOWED),
            event(SHOP, Action.DATA_READ, Outcome.REFUSED),
        ],
        {SHOP: "Example Shop"},
        NOW,
    )

    today = {row.name: row.bars[-1] for row in chart.rows}
    assert (today["You"].count, today["You"].refused) == (1, 0)
    assert (today["Example Shop"].count, today["Example Shop"].refused) == (2, 1)
