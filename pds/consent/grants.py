"""Grants: what a vendor may do now; listed, shortened or revoked by the customer, or given back;
and, once ended, what the customer asked the vendor to delete (see `pds.consent.deletion`).

A grant is a JWT signed by the pod key and bound to the vendor's key (`cnf.jkt`). The pod also
keeps it as a row, which is what revocation and shortening change: every use of a grant checks
that row, so a grant the customer shortened ends then, whatever its token's `exp` says.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import jwt

from pds.consent import deletion as deletions
from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.context import PodContext
from pds.consent.errors import (
    GrantNotActive,
    GrantNotFound,
    GrantStillActive,
    InsufficientScope,
    InvalidInput,
)
from pds.consent.grant_tokens import VerifiedGrant
from pds.consent.inputs import is_id
from pds.consent.scopes import Scope, scopes_from_json
from pds.consent.status_list import credential
from pds.store import NotFound
from pds.store import grants as rows
from pds.store import requests as request_rows

STATUS_LIST_PATH = "/status/revocation"
REVOKED, RETURNED, EXPIRED, ACTIVE = "revoked", "returned", "expired", "active"


@dataclasses.dataclass(frozen=True)
class Grant:
    id: str
    request_id: str
    vendor_id: str
    vendor: dict[str, Any]
    scopes: list[Scope]
    purpose: dict[str, str]
    terms: list[str]
    callback: str | None
    issued_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str | None
    status_index: int
    token: str
    receipt: str  # the signed consent receipt (compact JWS)
    state: str  # ACTIVE, EXPIRED, REVOKED or RETURNED, when it was read
    agreement: str | None = None  # the IEEE 7012 agreement agreed on, if any
    # Stop and delete (protocol §19): when the customer asked the vendor to delete what the
    # grant let it hold; when the vendor acknowledged it, its signed acknowledgement and the
    # pod's signed receipt for it (compact JWSs).
    deletion_requested_at: dt.datetime | None = None
    deletion_acknowledged_at: dt.datetime | None = None
    deletion_ack: str | None = None
    deletion_receipt: str | None = None

    @property
    def deletion(self) -> str | None:
        """None (never asked), "asked" (waiting for the vendor) or "confirmed" (acknowledged)."""
        if self.deletion_acknowledged_at is not None:
            return deletions.CONFIRMED
        if self.deletion_requested_at is not None:
            return deletions.ASKED
        return None

    @property
    def deletion_statement(self) -> str | None:
        """What the vendor said when it acknowledged the deletion, if it said anything."""
        if self.deletion_ack is None:
            return None
        return deletions.statement_of(self.deletion_ack)

    @classmethod
    def from_row(cls, row: rows.GrantRow, now: dt.datetime) -> Grant:
        values = dataclasses.asdict(row)
        values.pop("kid")
        if row.revoked_at is not None:
            state = REVOKED if row.revoked_by == OWNER else RETURNED
        else:
            state = EXPIRED if row.expires_at <= now else ACTIVE
        return cls(**{**values, "scopes": scopes_from_json(row.scopes), "state": state})

    def receipt_claims(self) -> dict[str, Any]:
        """The receipt's payload; the pod signed it, and shows it to the customer as it is."""
        return jwt.decode(self.receipt, options={"verify_signature": False})


class Grants:
    def __init__(self, ctx: PodContext):
        self.ctx = ctx

    @property
    def status_list_url(self) -> str:
        return self.ctx.base_url + STATUS_LIST_PATH

    def now(self) -> dt.datetime:
        return self.ctx.clock()

    def get(self, grant_id: str) -> Grant:
        if not is_id(grant_id):
            raise GrantNotFound(f"there is no grant {grant_id!r}")
        with self.ctx.store.read() as conn:
            try:
                return Grant.from_row(rows.get(conn, self.ctx.id, grant_id), self.now())
            except NotFound:
                raise GrantNotFound(f"there is no grant {grant_id!r}") from None

    def list(self, vendor_id: str | None = None) -> list[Grant]:
        if vendor_id is not None and not is_id(vendor_id):
            return []  # no vendor has such an id (a NUL, say, that PostgreSQL cannot even take)
        with self.ctx.store.read() as conn:
            found = rows.list_grants(conn, self.ctx.id, vendor_id)
        return [Grant.from_row(r, self.now()) for r in found]

    def vendor_names(self) -> dict[str, str]:
        """Vendor id -> the name it declared, from its grants and requests (unverified)."""
        with self.ctx.store.read() as conn:
            requests = request_rows.list_requests(conn, self.ctx.id)
            grants = rows.list_grants(conn, self.ctx.id)
        names = {r.vendor_id: r.vendor.get("name", r.vendor_id) for r in requests}
        names.update({g.vendor_id: g.vendor.get("name", g.vendor_id) for g in grants})
        return names

    def revoke(self, grant_id: str, *, ask_deletion: bool = False) -> Grant:
        """The customer ends a grant now: its next use is refused everywhere; the vendor is told.

        With `ask_deletion` the customer also asks the vendor to delete what the grant let it
        hold: the `Revoke` notification says so (`"delete": true`). Revoking an ended grant
        changes nothing, except that `ask_deletion` then asks as `ask_deletion()` does.
        """
        return self._end(
            grant_id, by=OWNER, action=Action.GRANT_REVOKE, actor=OWNER, ask_deletion=ask_deletion
        )

    def shorten(self, grant_id: str, until: dt.datetime) -> Grant:
        """The customer moves an active grant's end earlier, to `until` (whole seconds).

        From `until` on every use of the grant is refused as expired, though its token's `exp`
        is later; the vendor is told with a `Shorten` notification. `until` must be in the
        future and before the grant's end (InvalidInput otherwise); a grant that has ended
        cannot be shortened (GrantNotActive). Either way nothing changes.

        >>> pod.grants.shorten(grant.id, pod.now() + dt.timedelta(days=1))  # doctest: +SKIP
        """
        if until.tzinfo is None:
            raise InvalidInput("the new end needs a time zone (an RFC 3339 offset)")
        until = until.astimezone(dt.UTC).replace(microsecond=0)  # as a token's NumericDate
        grant = self.get(grant_id)
        now = self.now()
        if grant.state != ACTIVE:
            raise GrantNotActive(f"the grant is {grant.state}: only an active grant is shortened")
        if until <= now:
            raise InvalidInput("the new end must be in the future")
        if until >= grant.expires_at:
            raise InvalidInput(
                f"the new end must be before the grant's end ({grant.expires_at.isoformat()})"
            )
        with self.ctx.store.begin() as conn:
            if not rows.shorten(conn, self.ctx.id, grant_id, until, now):
                raise GrantNotActive("the grant ended or changed meanwhile: nothing was changed")
            detail = {
                "grant": grant_id,
                "vendor": grant.vendor_id,
                "was": grant.expires_at.isoformat(),
                "until": until.isoformat(),
            }
            self.ctx.record(conn, OWNER, Action.GRANT_SHORTEN, Outcome.OK, detail=detail)
            payload = {"type": "Shorten", "grant": grant_id, "expires_at": until.isoformat()}
            self.ctx.outbox.queue(conn, grant, payload)
        if grant.callback:
            self.ctx.outbox.kick()
        return self.get(grant_id)

    def ask_deletion(self, grant_id: str) -> Grant:
        """The customer asks the vendor to delete what an ended grant (revoked, returned or
        expired) let it hold; the vendor is told with a `DeletionRequest` notification and
        answers with a signed acknowledgement (`acknowledge_deletion`). Asking twice changes
        nothing; an active grant is refused (GrantStillActive): revoke it with `ask_deletion`.
        """
        grant = self.get(grant_id)
        if grant.deletion_requested_at is not None:
            return grant
        if grant.state == ACTIVE:
            raise GrantStillActive("the grant is still active: revoke it and ask for deletion then")
        with self.ctx.store.begin() as conn:
            asked = rows.request_deletion(conn, self.ctx.id, grant_id, self.now())
            if asked:
                deletions.record_request(self.ctx, conn, grant, notify=True)
        if asked and grant.callback:
            self.ctx.outbox.kick()
        return self.get(grant_id)

    def acknowledge_deletion(self, grant_id: str, acknowledgement: str) -> str:
        """The vendor's signed acknowledgement that it deleted what `grant_id` let it hold:
        checked, kept, and answered with the pod's signed receipt (see `pds.consent.deletion`).
        """
        return deletions.acknowledge(self.ctx, grant_id, acknowledgement)

    def give_back(self, grant: VerifiedGrant, grant_id: str) -> Grant:
        """The vendor hands back `grant_id`, proving it with that very grant (`grant`)."""
        if grant.id != grant_id:
            raise InsufficientScope("send the grant you are giving back as the Authorization")
        return self._end(grant_id, by="vendor", action=Action.GRANT_RETURN, actor=grant.vendor_id)

    def _end(
        self, grant_id: str, *, by: str, action: Action, actor: str, ask_deletion: bool = False
    ) -> Grant:
        grant = self.get(grant_id)
        now = self.now()
        with self.ctx.store.begin() as conn:
            changed = rows.revoke(conn, self.ctx.id, grant_id, by, now, ask_deletion=ask_deletion)
            asked = changed and ask_deletion
            if changed:
                self.ctx.record(
                    conn,
                    actor,
                    action,
                    Outcome.OK,
                    detail={"grant": grant_id, "vendor": grant.vendor_id},
                )
                payload: dict[str, object] = {"type": "Revoke", "grant": grant_id, "revoked_by": by}
                if ask_deletion:
                    payload["delete"] = True
                    deletions.record_request(self.ctx, conn, grant, notify=False)
                self.ctx.outbox.queue(conn, grant, payload)
            elif ask_deletion:  # revoked before: ask as a grant that ended asks
                asked = rows.request_deletion(conn, self.ctx.id, grant_id, now)
                if asked:
                    deletions.record_request(self.ctx, conn, grant, notify=True)
        if (changed or asked) and grant.callback:
            self.ctx.outbox.kick()
        return self.get(grant_id)

    def status_list(self) -> dict[str, Any]:
        with self.ctx.store.read() as conn:
            revoked = rows.revoked_status_indexes(conn, self.ctx.id)
        valid_from = self.now().replace(microsecond=0).isoformat()
        return credential(self.status_list_url, self.ctx.base_url, revoked, valid_from)

    def signed_status_list(self) -> str:
        return self.ctx.keys.sign(self.status_list(), "vc+jwt")
