"""Reading the audit log: every access and decision in a pod, newest first."""

from __future__ import annotations

import dataclasses
import datetime as dt

from pds.consent.audit import Action, AuditEvent, Outcome
from pds.consent.context import PodContext
from pds.consent.inputs import plain_text
from pds.consent.scopes import fields_of
from pds.store import audit as rows

MAX_EVENTS = 5000
WEEK = dt.timedelta(days=7)


@dataclasses.dataclass(frozen=True)
class GrantUse:
    """How a vendor used one grant: what the customer sees beside it."""

    last_read: dt.datetime | None
    reads_this_week: int
    fields_read: list[str]  # the names of the fields read this week, in the form's order


NOT_USED = GrantUse(None, 0, [])


class Activity:
    def __init__(self, ctx: PodContext):
        self.ctx = ctx

    def events(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        resource: str | None = None,
        grant_id: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[AuditEvent]:
        """Events matching every filter given; `before_id` pages backwards."""
        for name, value in (
            ("actor", actor),
            ("action", action),
            ("outcome", outcome),
            ("resource", resource),
            ("grant", grant_id),
        ):
            if value is not None:
                plain_text(value, f"the {name} filter")
        with self.ctx.store.read() as conn:
            found = rows.query(
                conn,
                self.ctx.id,
                actor=actor,
                action=action,
                outcome=outcome,
                resource=resource,
                grant_id=grant_id,
                since=since,
                until=until,
                before_id=before_id,
                limit=max(1, min(limit, MAX_EVENTS)),
            )
        return [AuditEvent.from_row(r) for r in found]

    def data_accesses(
        self, *, since: dt.datetime, outcome: str | None = None, limit: int = MAX_EVENTS
    ) -> list[AuditEvent]:
        """Reads, appends and writes of documents since `since`."""
        events = self.events(since=since, outcome=outcome, limit=limit)
        return [e for e in events if Action(e.action).is_data_access]

    def grant_uses(self, grant_ids: list[str]) -> dict[str, GrantUse]:
        """Grant id -> its use (NOT_USED when a vendor never read with it)."""
        with self.ctx.store.read() as conn:
            found = rows.grant_uses(
                conn,
                self.ctx.id,
                grant_ids,
                actions=[Action.DATA_READ],
                outcome=Outcome.ALLOWED,
                since=self.ctx.clock() - WEEK,
            )
        uses = {g: NOT_USED for g in grant_ids}
        for g, use in found.items():
            uses[g] = GrantUse(use.last_at, use.recent, _field_names(use.recent_fields))
        return uses


def _field_names(reads: list[tuple[str, list[str]]]) -> list[str]:
    """The distinct fields of these reads, by name, in the order the customer's forms show."""
    names: list[str] = []
    order: list[str] = []
    for resource, iris in reads:
        known = fields_of(resource)
        by_iri = {f["iri"]: f["name"] for f in known}
        order += [f["name"] for f in known if f["name"] not in order]
        names += [n for n in (by_iri.get(i, i) for i in iris) if n not in names]
    return sorted(names, key=lambda n: order.index(n) if n in order else len(order))
