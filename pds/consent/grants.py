"""Decisions and grants: approve (as asked or narrower), deny, revoke, give back.

A grant is a JWT signed by the pod key and bound to the vendor's key (`cnf.jkt`). The pod also
keeps it as a row, which is what revocation changes: every use of a grant checks that row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from typing import Any

from rdflib import Graph
from rdflib.compare import isomorphic

from pds.consent.errors import AlreadyDecided, GrantNotFound, InvalidInput
from pds.consent.keys import PodKeys
from pds.consent.notifications import Outbox
from pds.consent.receipts import RECEIPT_TYP, build_receipt
from pds.consent.requests import AccessRequest, AccessRequests
from pds.consent.scopes import READ, Scope, parse_scopes, scopes_from_json
from pds.consent.status_list import credential, entry, pick_index
from pds.resources import PodRef
from pds.resources.paths import DATA_PREFIX
from pds.resources.views import project
from pds.store import NotFound, Store, audit
from pds.store import grants as rows
from pds.store.store import utcnow

GRANT_TYP = "pds-grant+jwt"
STATUS_LIST_PATH = "/status/revocation"


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
    receipt: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Grant:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(
            **{k: v for k, v in row.items() if k in fields and k != "scopes"},
            scopes=scopes_from_json(row["scopes"]),
        )

    def state(self, now: dt.datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked" if self.revoked_by == "owner" else "returned"
        return "expired" if self.expires_at <= (now or utcnow()) else "active"


class Grants:
    def __init__(
        self, store: Store, pod: PodRef, keys: PodKeys, requests: AccessRequests, outbox: Outbox
    ):
        self.store = store
        self.pod = pod
        self.keys = keys
        self.requests = requests
        self.outbox = outbox

    @property
    def status_list_url(self) -> str:
        return self.pod.base_url + STATUS_LIST_PATH

    # -- decisions -----------------------------------------------------------------------------

    def approve(
        self, request_id: str, *, scopes: Any = None, duration_seconds: int | None = None
    ) -> Grant:
        """Grant what was asked, or less: a subset of scopes, modes, fields, or a shorter time."""
        request = self.requests.get(request_id)
        if request.status != "pending":
            raise AlreadyDecided(f"this request was already {request.status}")
        granted = request.scopes if scopes is None else self._narrower(request, scopes)
        duration = request.duration_seconds if duration_seconds is None else duration_seconds
        if (
            not isinstance(duration, int)
            or isinstance(duration, bool)
            or not (60 <= duration <= request.duration_seconds)
        ):
            raise InvalidInput(
                "the duration may be shortened (to at least 60 seconds), not lengthened"
            )

        grant_id = secrets.token_urlsafe(16)
        issued = utcnow().replace(microsecond=0)
        expires = issued + dt.timedelta(seconds=duration)
        with self.store.begin() as conn:
            index = pick_index(rows.used_status_indexes(conn, self.pod.id))
            claims = {
                "iss": self.pod.base_url,
                "aud": self.pod.base_url,
                "sub": request.vendor_id,
                "jti": grant_id,
                "iat": int(issued.timestamp()),
                "nbf": int(issued.timestamp()),
                "exp": int(expires.timestamp()),
                "cnf": {"jkt": request.vendor_id},
                "scopes": [s.to_json() for s in granted],
                "purpose": request.purpose,
                "terms": request.terms,
                "request": request.id,
                "credentialStatus": entry(self.status_list_url, index),
            }
            token = self.keys.sign(claims, GRANT_TYP)
            receipt = self.keys.sign(
                build_receipt(
                    grant_id=grant_id,
                    pod_url=self.pod.base_url,
                    vendor_id=request.vendor_id,
                    vendor=request.vendor,
                    scopes=granted,
                    purpose=request.purpose,
                    terms=request.terms,
                    issued_at=issued,
                    expires_at=expires,
                ),
                RECEIPT_TYP,
            )
            if not rows.decide_request(conn, self.pod.id, request.id, "approved", grant_id):
                raise AlreadyDecided("this request was decided meanwhile")
            rows.add_grant(
                conn,
                self.pod.id,
                id=grant_id,
                request_id=request.id,
                vendor_id=request.vendor_id,
                vendor=request.vendor,
                scopes=[s.to_json() for s in granted],
                purpose=request.purpose,
                terms=request.terms,
                callback=request.callback,
                issued_at=issued,
                expires_at=expires,
                status_index=index,
                kid=self.keys.active.kid,
                token=token,
                receipt=receipt,
            )
            narrowed = [s.to_json() for s in granted] != [s.to_json() for s in request.scopes]
            audit.record(
                conn,
                self.pod.id,
                actor="owner",
                action="request.approve",
                outcome="ok",
                detail={
                    "request": request.id,
                    "grant": grant_id,
                    "vendor": request.vendor_id,
                    "narrowed": narrowed,
                    "expires_at": expires.isoformat(),
                },
            )
        return self.get(grant_id)

    def deny(self, request_id: str) -> AccessRequest:
        request = self.requests.get(request_id)
        with self.store.begin() as conn:
            if not rows.decide_request(conn, self.pod.id, request.id, "denied", None):
                raise AlreadyDecided(f"this request was already {request.status}")
            audit.record(
                conn,
                self.pod.id,
                actor="owner",
                action="request.deny",
                outcome="ok",
                detail={"request": request.id, "vendor": request.vendor_id},
            )
        return self.requests.get(request_id)

    @staticmethod
    def _narrower(request: AccessRequest, raw: Any) -> list[Scope]:
        granted = parse_scopes(raw, request.vendor_id)
        asked = {s.resource: s for s in request.scopes}
        for scope in granted:
            if scope.resource not in asked or not scope.within(asked[scope.resource]):
                raise InvalidInput(
                    f"the grant for {scope.resource} would give more than the "
                    "vendor asked for: a decision can only narrow a request"
                )
        return granted

    # -- grants --------------------------------------------------------------------------------

    def get(self, grant_id: str) -> Grant:
        with self.store.read() as conn:
            try:
                return Grant.from_row(rows.get_grant(conn, self.pod.id, grant_id))
            except NotFound:
                raise GrantNotFound(f"there is no grant {grant_id!r}") from None

    def list(self, vendor_id: str | None = None) -> list[Grant]:
        with self.store.read() as conn:
            return [Grant.from_row(r) for r in rows.list_grants(conn, self.pod.id, vendor_id)]

    def revoke(self, grant_id: str, *, by: str = "owner") -> Grant:
        """End a grant now: its next use is refused by every worker; the vendor is told."""
        grant = self.get(grant_id)
        with self.store.begin() as conn:
            changed = rows.revoke_grant(conn, self.pod.id, grant_id, by)
            if changed:
                action = "grant.revoke" if by == "owner" else "grant.return"
                actor = "owner" if by == "owner" else grant.vendor_id
                audit.record(
                    conn,
                    self.pod.id,
                    actor=actor,
                    action=action,
                    outcome="ok",
                    detail={"grant": grant_id, "vendor": grant.vendor_id},
                )
                if grant.callback:
                    self.outbox.queue(
                        conn, grant, {"type": "Revoke", "grant": grant_id, "revoked_by": by}
                    )
        if changed and grant.callback:
            self.outbox.kick()
        return self.get(grant_id)

    def status_list(self) -> dict[str, Any]:
        with self.store.read() as conn:
            revoked = rows.revoked_status_indexes(conn, self.pod.id)
        return credential(
            self.status_list_url,
            self.pod.base_url,
            revoked,
            utcnow().replace(microsecond=0).isoformat(),
        )

    def signed_status_list(self) -> str:
        return self.keys.sign(self.status_list(), "vc+jwt")

    def resource_changed(
        self, path: str, before: Graph | None, after: Graph | None, *, by_vendor: str | None = None
    ) -> int:
        """Tell vendors with a live read grant on `path` (and a callback) that it changed.

        A vendor limited to some fields is told only when those fields changed, so it cannot
        learn when the rest of the document moves; the vendor that made the change is not told.
        """
        kind = "Create" if before is None else "Delete" if after is None else "Update"
        with self.store.read() as conn:
            live = [Grant.from_row(r) for r in rows.live_grants(conn, self.pod.id, utcnow())]
        told = []
        for grant in live:
            scope = next((s for s in grant.scopes if s.covers(path) and READ in s.modes), None)
            if scope is None or not grant.callback or grant.vendor_id == by_vendor:
                continue
            if scope.fields is not None and _same_view(before, after, scope.fields, path):
                continue
            told.append(grant)
        if not told:
            return 0
        with self.store.begin() as conn:
            for grant in told:
                self.outbox.queue(
                    conn,
                    grant,
                    {
                        "type": kind,
                        "grant": grant.id,
                        "object": f"{self.pod.base_url}{DATA_PREFIX}{path}",
                    },
                )
        self.outbox.kick()
        return len(told)


def _same_view(
    before: Graph | None, after: Graph | None, fields: frozenset[str], path: str
) -> bool:
    views = [project(g, fields, path) if g is not None else Graph() for g in (before, after)]
    return isomorphic(*views)
