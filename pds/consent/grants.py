"""Grants: what a vendor may do now; listed, revoked by the customer, or given back.

A grant is a JWT signed by the pod key and bound to the vendor's key (`cnf.jkt`). The pod also
keeps it as a row, which is what revocation changes: every use of a grant checks that row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import jwt

from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.context import PodContext
from pds.consent.errors import GrantNotFound, InsufficientScope
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

    def revoke(self, grant_id: str) -> Grant:
        """The customer ends a grant now: its next use is refused everywhere; the vendor is told."""
        return self._end(grant_id, by=OWNER, action=Action.GRANT_REVOKE, actor=OWNER)

    def give_back(self, grant: VerifiedGrant, grant_id: str) -> Grant:
        """The vendor hands back `grant_id`, proving it with that very grant (`grant`)."""
        if grant.id != grant_id:
            raise InsufficientScope("send the grant you are giving back as the Authorization")
        return self._end(grant_id, by="vendor", action=Action.GRANT_RETURN, actor=grant.vendor_id)

    def _end(self, grant_id: str, *, by: str, action: Action, actor: str) -> Grant:
        grant = self.get(grant_id)
        with self.ctx.store.begin() as conn:
            changed = rows.revoke(conn, self.ctx.id, grant_id, by, self.now())
            if changed:
                self.ctx.record(
                    conn,
                    actor,
                    action,
                    Outcome.OK,
                    detail={"grant": grant_id, "vendor": grant.vendor_id},
                )
                payload = {"type": "Revoke", "grant": grant_id, "revoked_by": by}
                self.ctx.outbox.queue(conn, grant, payload)
        if changed and grant.callback:
            self.ctx.outbox.kick()
        return self.get(grant_id)

    def status_list(self) -> dict[str, Any]:
        with self.ctx.store.read() as conn:
            revoked = rows.revoked_status_indexes(conn, self.ctx.id)
        valid_from = self.now().replace(microsecond=0).isoformat()
        return credential(self.status_list_url, self.ctx.base_url, revoked, valid_from)

    def signed_status_list(self) -> str:
        return self.ctx.keys.sign(self.status_list(), "vc+jwt")
