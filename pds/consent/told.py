"""Who was told of the customer's changes, and whether each vendor's callback acknowledged it.

A change of a document queues one signed notice for every vendor whose live grant sees it
(`change_notices`). Here the notices are read back and put together again under the change they
report: the owner's write, audited in the same transaction just before them. The notices of one
write are each stamped when signed, a few instants apart, so their own times cannot tell two
quick changes of one document apart; the write's audit event can.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt

import jwt

from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.change_notices import ACTIVITY_TYPES
from pds.consent.context import PodContext
from pds.consent.scopes import READ, scopes_from_json
from pds.resources.paths import DATA_PREFIX
from pds.store import audit as audit_rows
from pds.store import grants as grant_rows
from pds.store import outbox as rows

WAITING, ACKNOWLEDGED, FAILING, GAVE_UP = "waiting", "acknowledged", "failing", "gave up"
# The notices change_notices sends, and the change (as the audit log words it) each reports.
_CHANGE_KINDS = {activity: kind for kind, activity in ACTIVITY_TYPES.items()}
# A write and its notices share one transaction: a write further back is another one.
_SAME_WRITE = dt.timedelta(minutes=1)
NOTICES_READ = 500  # the latest notifications looked at, changes or not
WRITES_READ = 5000


@dataclasses.dataclass(frozen=True)
class Delivery:
    """The notice one vendor was sent about one change, and how far its callback got."""

    grant_id: str
    vendor_id: str
    vendor_name: str  # as the vendor declared it (unverified)
    fields: frozenset[str] | None  # what of the document its grant sees; None: all of it
    state: str  # WAITING, ACKNOWLEDGED, FAILING or GAVE_UP
    attempts: int  # delivery attempts so far, the acknowledged one included
    acknowledged_at: dt.datetime | None  # when its callback answered 2xx
    next_attempt_at: dt.datetime | None  # FAILING: when it is tried again
    last_error: str | None  # why the last attempt failed

    @property
    def failed_attempts(self) -> int:
        return self.attempts - (self.state == ACKNOWLEDGED)


@dataclasses.dataclass(frozen=True)
class DataChange:
    """A change the customer made to one document, and every vendor sent a notice of it."""

    path: str  # the document, e.g. "/profile"
    kind: str  # "created", "changed" or "deleted"
    at: dt.datetime
    deliveries: tuple[Delivery, ...]  # by vendor name


@dataclasses.dataclass(frozen=True)
class _Notice:
    row: rows.SentRow
    kind: str
    object: str  # the URL of the document that changed


class ChangeNotices:
    def __init__(self, ctx: PodContext):
        self.ctx = ctx

    def recent(self, limit: int = 50) -> list[DataChange]:
        """The customer's latest changes that vendors were sent notices of, newest first.

        Only changes the customer made (`Create`, `Update`, `Delete` after the owner's writes)
        count: not revocations or other notices, nor records vendors added themselves. A change
        no vendor's grant sees sent nothing, and is not listed. For example, after a new postal
        address: `DataChange(path="/profile", kind="changed", ...)` whose deliveries are Dealer
        Ltd, `acknowledged` at 10:42, and Insurer plc, `failing`, to be tried again at 10:53.
        """
        with self.ctx.store.read() as conn:
            sent = rows.recent(conn, self.ctx.id, NOTICES_READ)
            notices = [n for n in map(_change_notice, sent) if n is not None]
            if not notices:
                return []
            writes = audit_rows.query(
                conn,
                self.ctx.id,
                actor=OWNER,
                action=Action.DATA_WRITE.value,
                outcome=Outcome.OK.value,
                since=min(n.row.created_at for n in notices) - _SAME_WRITE,
                until=max(n.row.created_at for n in notices) + dt.timedelta(microseconds=1),
                limit=WRITES_READ,
            )
            grants = {g.id: g for g in grant_rows.list_grants(conn, self.ctx.id)}
        writes.sort(key=lambda w: (w.at, w.id))
        times = [w.at for w in writes]
        told: dict[int, list[_Notice]] = {}
        for notice in notices:
            write = _write_of(notice, writes, times)
            if write is not None:
                told.setdefault(write.id, []).append(notice)
        # Notices older than those read may belong to the oldest writes: leave those out whole.
        cut = sent[-1].created_at if len(sent) == NOTICES_READ else None
        changes = [
            _change(write, told[write.id], grants)
            for write in writes
            if write.id in told and (cut is None or write.at > cut)
        ]
        changes.sort(key=lambda c: c.at, reverse=True)
        return changes[:limit]

    def vendors_without_callback(self) -> list[str]:
        """Names of vendors with a live grant but no callback: they cannot be told of changes."""
        with self.ctx.store.read() as conn:
            live = grant_rows.live(conn, self.ctx.id, self.ctx.clock())
        return sorted({_name(g) for g in live if not g.callback}, key=str.lower)


def _change_notice(row: rows.SentRow) -> _Notice | None:
    # The pod signed this body itself and kept it: no need to verify it again.
    claims = jwt.decode(row.body, options={"verify_signature": False})
    kind, target = claims.get("type"), claims.get("object")
    if not isinstance(kind, str) or kind not in _CHANGE_KINDS or not isinstance(target, str):
        return None
    return _Notice(row, _CHANGE_KINDS[kind], target)


def _write_of(
    notice: _Notice, writes: list[audit_rows.AuditRow], times: list[dt.datetime]
) -> audit_rows.AuditRow | None:
    """The owner's write that queued `notice` (`writes` in time order, `times` theirs).

    Writes of one document are serialised, and each queues its notices before it commits, so
    the latest write of the document before the notice is the one it reports.
    """
    for index in range(bisect.bisect_right(times, notice.row.created_at) - 1, -1, -1):
        write = writes[index]
        if write.at < notice.row.created_at - _SAME_WRITE:
            return None
        if notice.object.endswith(f"{DATA_PREFIX}{write.resource}"):
            # Another kind of change of the document: the notice reports what a vendor did.
            return write if write.detail.get("change") == notice.kind else None
    return None


def _change(
    write: audit_rows.AuditRow, notices: list[_Notice], grants: dict[str, grant_rows.GrantRow]
) -> DataChange:
    path = write.resource or ""
    deliveries = [_delivery(n.row, grants[n.row.grant_id], path) for n in notices]
    deliveries.sort(key=lambda d: (d.vendor_name.lower(), d.grant_id))
    return DataChange(path, notices[0].kind, write.at, tuple(deliveries))


def _delivery(row: rows.SentRow, grant: grant_rows.GrantRow, path: str) -> Delivery:
    if row.delivered_at is not None:
        state = ACKNOWLEDGED
    elif row.failed_at is not None:
        state = GAVE_UP
    else:
        state = FAILING if row.attempts else WAITING
    scope = next(
        (s for s in scopes_from_json(grant.scopes) if s.covers(path) and READ in s.modes), None
    )
    return Delivery(
        grant_id=row.grant_id,
        vendor_id=row.vendor_id,
        vendor_name=_name(grant),
        fields=scope.fields if scope is not None else None,
        state=state,
        attempts=row.attempts,
        acknowledged_at=row.delivered_at,
        next_attempt_at=row.next_attempt_at if state == FAILING else None,
        last_error=row.last_error if state != ACKNOWLEDGED else None,
    )


def _name(grant: grant_rows.GrantRow) -> str:
    return str(grant.vendor.get("name") or grant.vendor_id)
