"""What every use case of one pod works with: its store, identity, keys, outbox and clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from pds.consent import audit
from pds.consent.keys import PodKeys
from pds.consent.notifications import Outbox
from pds.resources import Documents, PodRef
from pds.store import Store

Clock = Callable[[], dt.datetime]


@dataclasses.dataclass(frozen=True)
class PodContext:
    store: Store
    ref: PodRef
    documents: Documents
    keys: PodKeys
    outbox: Outbox
    clock: Clock  # aware UTC datetimes; tests may pass another
    allow_private_callbacks: bool = False

    @property
    def id(self) -> str:
        return self.ref.id

    @property
    def base_url(self) -> str:
        return self.ref.base_url

    def record(
        self,
        conn: sa.Connection,
        actor: str,
        action: audit.Action,
        outcome: audit.Outcome,
        *,
        resource: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """An audit event of this pod, now, in the caller's transaction."""
        audit.record(
            conn, self.id, self.clock(), actor, action, outcome, resource=resource, detail=detail
        )
