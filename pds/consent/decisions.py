"""The customer's decision on an access request: approve (as asked or narrower), or deny.

Approving signs a grant bound to the vendor's key and a consent receipt, and records both with
the decision and its audit event in one transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from pds.consent.agreement_records import record_decision
from pds.consent.agreements import agreed_on, agreement_reference
from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.context import PodContext
from pds.consent.errors import AlreadyDecided, InvalidInput
from pds.consent.grant_tokens import GRANT_TYP
from pds.consent.grants import STATUS_LIST_PATH, Grant, Grants
from pds.consent.receipts import RECEIPT_TYP, build_receipt
from pds.consent.requests import AccessRequest, AccessRequests
from pds.consent.scopes import Scope, check_scope
from pds.consent.status_list import entry, pick_index
from pds.store import grants as grant_rows
from pds.store import requests as request_rows

MIN_GRANT_SECONDS = 60


class Decisions:
    def __init__(self, ctx: PodContext, requests: AccessRequests, grants: Grants):
        self.ctx = ctx
        self.requests = requests
        self.grants = grants

    def approve(
        self,
        request_id: str,
        *,
        scopes: Sequence[Scope] | None = None,
        duration_seconds: int | None = None,
        by_rule: str | None = None,
        agreement: str | None = None,
    ) -> Grant:
        """Grant what was asked, or less: a subset of scopes, modes, fields, or a shorter time.

        Asking for more than the vendor did (another resource, a field, a longer time) is
        refused with InvalidInput; nothing is shortened or dropped silently.
        """
        request = self.requests.get(request_id)
        if request.status != "pending":
            raise AlreadyDecided(f"this request was already {request.status}")
        granted = list(request.scopes) if scopes is None else _narrower(request, scopes)
        duration = request.duration_seconds if duration_seconds is None else duration_seconds
        if (
            not isinstance(duration, int)
            or isinstance(duration, bool)
            or not (MIN_GRANT_SECONDS <= duration <= request.duration_seconds)
        ):
            raise InvalidInput(
                f"the duration may be shortened (to at least {MIN_GRANT_SECONDS} seconds), "
                f"not lengthened beyond the {request.duration_seconds} seconds asked for"
            )

        # Their own IEEE 7012 agreement, or the vendor's alternative: the customer's choice.
        agreed = agreed_on(request.agreement, agreement)
        grant_id = secrets.token_urlsafe(16)
        issued = self.ctx.clock().replace(microsecond=0)
        expires = issued + dt.timedelta(seconds=duration)
        status_list_url = self.ctx.base_url + STATUS_LIST_PATH
        signing_key = self.ctx.keys.active  # loaded (or made) before the transaction, not in it
        with self.ctx.store.begin() as conn:
            index = pick_index(grant_rows.used_status_indexes(conn, self.ctx.id))
            decided = record_decision(
                self.ctx,
                conn,
                signing_key,
                request.negotiation(),
                request.agreement,
                agreed=agreed,
                grant_id=grant_id,
                at=issued,
                by_rule=by_rule,
            )
            terms_agreed = agreement_reference(agreed, decided)
            claims = {
                "iss": self.ctx.base_url,
                "aud": self.ctx.base_url,
                "sub": request.vendor_id,
                "jti": grant_id,
                "iat": int(issued.timestamp()),
                "nbf": int(issued.timestamp()),
                "exp": int(expires.timestamp()),
                "cnf": {"jkt": request.vendor_id},
                "scopes": [s.to_json() for s in granted],
                "purpose": request.purpose,
                "terms": request.terms,
                **({"agreement": terms_agreed} if terms_agreed else {}),
                "request": request.id,
                "credentialStatus": entry(status_list_url, index),
            }
            receipt = build_receipt(
                grant_id=grant_id,
                pod_url=self.ctx.base_url,
                vendor_id=request.vendor_id,
                vendor=request.vendor,
                scopes=granted,
                purpose=request.purpose,
                terms=request.terms,
                issued_at=issued,
                expires_at=expires,
                agreement=terms_agreed,
            )
            if not request_rows.decide(conn, self.ctx.id, request.id, "approved", grant_id, issued):
                raise AlreadyDecided("this request was decided meanwhile")
            grant_rows.add(
                conn,
                self.ctx.id,
                grant_rows.GrantRow(
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
                    revoked_at=None,
                    revoked_by=None,
                    status_index=index,
                    kid=signing_key.kid,
                    # Signed by the key the row names, even if another process rotates now.
                    token=self.ctx.keys.sign(claims, GRANT_TYP, signing_key),
                    receipt=self.ctx.keys.sign(receipt, RECEIPT_TYP, signing_key),
                    agreement=agreed,
                ),
            )
            self.ctx.record(
                conn,
                OWNER,
                Action.REQUEST_APPROVE,
                Outcome.OK,
                detail={
                    "request": request.id,
                    "grant": grant_id,
                    "vendor": request.vendor_id,
                    "narrowed": _as_json(granted) != _as_json(request.scopes),
                    "expires_at": expires.isoformat(),
                    **({"rule": by_rule} if by_rule else {}),
                },
            )
        return self.grants.get(grant_id)

    def deny(self, request_id: str, *, by_rule: str | None = None) -> AccessRequest:
        request = self.requests.get(request_id)
        signing_key = self.ctx.keys.active  # loaded (or made) before the transaction
        with self.ctx.store.begin() as conn:
            now = self.ctx.clock()
            if not request_rows.decide(conn, self.ctx.id, request.id, "denied", None, now):
                raise AlreadyDecided(f"this request was already {request.status}")
            record_decision(
                self.ctx,
                conn,
                signing_key,
                request.negotiation(),
                request.agreement,
                agreed=None,
                grant_id=None,
                at=now,
                by_rule=by_rule,
            )
            self.ctx.record(
                conn,
                OWNER,
                Action.REQUEST_DENY,
                Outcome.OK,
                detail={
                    "request": request.id,
                    "vendor": request.vendor_id,
                    **({"rule": by_rule} if by_rule else {}),
                },
            )
        return self.requests.get(request_id)


def _narrower(request: AccessRequest, chosen: Sequence[Scope]) -> list[Scope]:
    if not chosen:
        raise InvalidInput("choose at least one thing to share, or deny the request")
    asked = {s.resource: s for s in request.scopes}
    if len({s.resource for s in chosen}) != len(chosen):
        raise InvalidInput("each resource may appear in only one scope")
    for scope in chosen:
        check_scope(scope, request.vendor_id)
        if scope.resource not in asked or not scope.within(asked[scope.resource]):
            raise InvalidInput(
                f"the grant for {scope.resource} would give more than the "
                "vendor asked for: a decision can only narrow a request"
            )
    return list(chosen)


def _as_json(scopes: Sequence[Scope]) -> list[dict[str, object]]:
    return [s.to_json() for s in scopes]
