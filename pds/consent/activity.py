"""Reading the audit log: every access and decision in a pod, newest first."""

from __future__ import annotations

import datetime as dt

from pds.consent.audit import Action, AuditEvent
from pds.consent.context import PodContext
from pds.consent.inputs import plain_text
from pds.store import audit as rows

MAX_EVENTS = 5000


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
