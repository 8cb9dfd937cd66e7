"""The health of the database a server's pods share: what its readiness probe and its metrics
ask. It is the server's, not any one pod's: a provider's pods all live in one database.

Answers never quote the database's own errors: they may name its host, user or file.
"""

from __future__ import annotations

import dataclasses
import logging

import sqlalchemy as sa

from pds.consent.pod import Pod
from pds.consent.provider import Provider
from pds.store import Store
from pds.store import health as rows
from pds.store.engine import schema_revision

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Check:
    name: str  # "database", "schema"
    ok: bool
    detail: str  # for the operator; no URL, host or driver message


@dataclasses.dataclass(frozen=True)
class NotificationBacklog:
    queued: int  # waiting to be delivered (or retried)
    failed: int  # given up


class DatabaseHealth:
    def __init__(self, store: Store):
        self.store = store

    @classmethod
    def of(cls, served: Pod | Provider) -> DatabaseHealth:
        """The health of the database that `served` (a server's pod, or its provider) uses."""
        return cls(served.store if isinstance(served, Provider) else served.ctx.store)

    def readiness(self) -> list[Check]:
        """Does the database answer, and is its schema the one this code needs?"""
        try:
            with self.store.read() as conn:
                rows.answer(conn)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("readiness: the database does not answer (%s)", type(exc).__name__)
            return [
                Check("database", False, "the database does not answer"),
                Check("schema", False, "not checked: the database does not answer"),
            ]
        database = Check("database", True, "the database answers")
        try:
            current, head = schema_revision(self.store.engine)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("readiness: the schema revision is unreadable (%s)", type(exc).__name__)
            return [database, Check("schema", False, "the schema revision cannot be read")]
        if current != head:
            detail = (
                f"the database schema is at {current or 'nothing'}, this server needs {head}: "
                "run `pds migrate` (or run the server version that matches it)"
            )
            return [database, Check("schema", False, detail)]
        return [database, Check("schema", True, f"the schema is at {head}")]

    def notification_backlog(self) -> NotificationBacklog | None:
        """Notifications of every pod still queued, and those given up (counts are capped, see
        `pds.store.health.BACKLOG_CAP`); None if the database does not answer."""
        try:
            with self.store.read() as conn:
                queued, failed = rows.notification_backlog(conn)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("the notification backlog is unreadable (%s)", type(exc).__name__)
            return None
        return NotificationBacklog(queued, failed)
