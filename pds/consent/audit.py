"""What the audit log says: actions and outcomes as enums, and writing one event.

Only the use cases of this package write events, each inside the transaction of the change it
reports; the consent page words every action (see `pds.server.web.words`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa

from pds.store import audit as rows

OWNER = "owner"
ANONYMOUS = "anonymous"  # someone who is not signed in (a wrong password, a wrong setup code)
UNKNOWN = "unknown"  # a vendor request whose grant could not be read


class Action(enum.StrEnum):
    DATA_READ = "data.read"
    DATA_APPEND = "data.append"
    DATA_WRITE = "data.write"
    REQUEST_SUBMIT = "request.submit"
    REQUEST_APPROVE = "request.approve"
    REQUEST_DENY = "request.deny"
    REQUEST_REOPEN = "request.reopen"  # a standing rule's denial undone
    RULES_UPDATE = "rules.update"
    GRANT_REVOKE = "grant.revoke"
    GRANT_RETURN = "grant.return"
    GRANT_SHORTEN = "grant.shorten"  # the customer moved a grant's end earlier
    DELETION_REQUEST = "deletion.request"  # the customer asked a vendor to delete what it holds
    DELETION_ACK = "deletion.ack"  # the vendor said, signed, that it deleted it
    OWNER_CLAIM = "owner.claim"
    OWNER_LOGIN = "owner.login"
    OWNER_PASSWORD = "owner.password"  # noqa: S105 - names of actions, not secrets
    OWNER_TOKEN_CREATE = "owner.token.create"  # noqa: S105
    OWNER_TOKEN_REVOKE = "owner.token.revoke"  # noqa: S105
    TERMS_UPDATE = "terms.update"
    KEYS_ROTATE = "keys.rotate"
    INTENT_PUBLISH = "intent.publish"
    INTENT_PAUSE = "intent.pause"
    INTENT_RESUME = "intent.resume"
    INTENT_CLOSE = "intent.close"
    RELAYS_UPDATE = "relays.update"
    OFFER_RECEIVE = "offer.receive"
    OFFER_SHORTLIST = "offer.shortlist"
    OFFER_DECLINE = "offer.decline"
    OFFER_ACCEPT = "offer.accept"
    MESSAGE_RECEIVE = "message.receive"
    MESSAGE_SEND = "message.send"
    THREAD_STATE = "thread.state"
    RECORDS_SHARE = "records.share"
    EVIDENCE_EXPORT = "evidence.export"  # the signed evidence about one vendor

    @property
    def is_data_access(self) -> bool:
        return self in (Action.DATA_READ, Action.DATA_APPEND, Action.DATA_WRITE)


class Outcome(enum.StrEnum):
    OK = "ok"  # the owner's own action, done
    ALLOWED = "allowed"  # a vendor's request, let through by its grant
    REFUSED = "refused"
    PENDING = "pending"  # an access request, waiting for the customer


@dataclasses.dataclass(frozen=True)
class AuditEvent:
    id: int
    at: dt.datetime
    actor: str  # OWNER, ANONYMOUS, UNKNOWN or a vendor id
    action: Action
    resource: str | None
    outcome: Outcome
    grant_id: str | None
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: rows.AuditRow) -> AuditEvent:
        return cls(
            row.id,
            row.at,
            row.actor,
            Action(row.action),
            row.resource,
            Outcome(row.outcome),
            row.grant_id,
            row.detail,
        )


def event_values(
    pod_id: str,
    at: dt.datetime,
    actor: str,
    action: Action,
    outcome: Outcome,
    *,
    resource: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The stored values of one event (for statements that write it along with other rows)."""
    return rows.values(
        pod_id,
        at=at,
        actor=actor,
        action=action.value,
        outcome=outcome.value,
        resource=resource,
        detail=detail,
    )


def record(
    conn: sa.Connection,
    pod_id: str,
    at: dt.datetime,
    actor: str,
    action: Action,
    outcome: Outcome,
    *,
    resource: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one event in the caller's transaction."""
    write(conn, event_values(pod_id, at, actor, action, outcome, resource=resource, detail=detail))


def write(conn: sa.Connection, values: dict[str, Any]) -> None:
    """Write an event made by `event_values`, in the caller's transaction."""
    conn.execute(rows.INSERT, values)
