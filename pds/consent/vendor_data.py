"""A vendor's requests through its grant: read documents, append records, prove its key.

The hot path of the pod. A read decodes the proof once, takes the grant's claims from a cache,
then does its database work in one round trip where the backend allows (revocation, the end the
customer may have moved earlier, replay, audit and the document's ETag: see
`pds.store.vendor_reads`) and serves bytes cached by
(ETag, media type, field set). Every request, allowed or refused, leaves one audit event.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from typing import NoReturn

import sqlalchemy as sa

from pds.consent import audit
from pds.consent.audit import Action, Outcome
from pds.consent.change_notices import queue_change_notices
from pds.consent.context import PodContext
from pds.consent.dpop import VerifiedProof, verify_proof
from pds.consent.errors import (
    ConsentError,
    GrantExpired,
    GrantRevoked,
    InsufficientScope,
    InvalidGrant,
    InvalidProof,
)
from pds.consent.grant_tokens import GrantVerifier, VerifiedGrant
from pds.consent.records import check_record
from pds.consent.scopes import APPEND, READ, Scope
from pds.resources import Change, InvalidPath, Representation, ResourceNotFound
from pds.resources.paths import check_path, is_container
from pds.store import AlreadyExists, NotFound, replay, vendor_reads
from pds.store import grants as grant_rows

SWEEP_ONE_IN = 500  # forget expired replay records on about one request in this many
WRITE = "write"  # no grant mode allows it: vendors only read, or append new documents

# Said the same wherever a grant or a proof is checked.
UNKNOWN_GRANT = "the grant is unknown to this pod"
REVOKED = "the grant was revoked"
EXPIRED = "the grant has expired: ask for a new one"
REPLAYED = "the DPoP proof was already used: make a new one per request"


@dataclasses.dataclass(frozen=True)
class VendorCall:
    """What the pod needs of a vendor's HTTP request."""

    authorization: str | None  # `DPoP <grant>`
    proof: str | None  # the DPoP header
    method: str
    url: str  # as the vendor addressed it: what the proof's htu must match
    path: str  # the resource path, as sent: an odd one is simply outside every grant


@dataclasses.dataclass(frozen=True)
class Admission:
    """A request let through: by which grant, the scope that allows it, the document's ETag."""

    grant: VerifiedGrant
    scope: Scope
    path: str
    etag: str | None


@dataclasses.dataclass(frozen=True)
class Appended:
    path: str
    etag: str


class VendorData:
    def __init__(self, ctx: PodContext, grants: GrantVerifier):
        self.ctx = ctx
        self.grants = grants

    def admit_read(self, call: VendorCall) -> Admission:
        """Let a read through its grant, or raise; audited either way (before negotiation)."""
        return self._admit(call, READ, Action.DATA_READ)

    def represent(self, admitted: Admission, media_type: str) -> Representation:
        """The admitted document (or listing), limited to the fields the grant allows."""
        if admitted.etag is None and not is_container(admitted.path):
            raise ResourceNotFound(f"there is no resource at {admitted.path}")
        return self.ctx.documents.represent(
            self.ctx.ref,
            admitted.path,
            media_type,
            etag=admitted.etag,
            fields=admitted.scope.fields,
        )

    def append(
        self, call: VendorCall, body: bytes, media_type: str, slug: str | None = None
    ) -> Appended:
        """Add a record to a container the grant may append to (the vendor's own).

        A receipt, warranty or service visit in it must fit its shape (ShapeViolation, and
        nothing is stored); a record of any other kind is kept as it is.
        """
        vendor = self._admit(call, APPEND, Action.DATA_APPEND).grant.vendor_id
        told = 0

        def notify(conn: sa.Connection, change: Change) -> None:
            nonlocal told
            told = queue_change_notices(self.ctx, conn, change, by_vendor=vendor)

        path, etag = self.ctx.documents.create_in(
            self.ctx.ref, call.path, body, media_type, slug, check=check_record, then=notify
        )
        if told:
            self.ctx.outbox.kick()
        return Appended(path, etag)

    def refuse_write(self, call: VendorCall) -> NoReturn:
        """Vendors never change documents, only append: checked like any request, then refused.

        The grant and proof are checked first, so a vendor is told what is wrong with them; a
        sound request is refused as out of scope. Either way the attempt is audited.
        """
        self._admit(call, WRITE, Action.DATA_WRITE)  # no grant has this mode: always raises
        raise AssertionError("a grant allowed a write")

    def prove_key(self, proof: str | None, *, method: str, url: str) -> str:
        """A proof without a grant (status URLs): the signer's key thumbprint, the vendor id.

        Replay is refused here too; nothing is audited (the vendor reads only its own state).
        """
        verified = verify_proof(proof, method=method, url=url, now=self._now())
        # Remembered with its URL: a proof is only good for its URL anyway, and a vendor must
        # not learn, by replaying one here that it used at a relay's address, that the thread
        # or offer behind that address is this pod's.
        used = hashlib.sha256(f"{verified.replay_key} {url}".encode()).hexdigest()
        with self.ctx.store.access_records() as conn:
            try:
                replay.remember(conn, self.ctx.id, used, verified.expires_at)
            except AlreadyExists:
                raise InvalidProof(REPLAYED) from None
        return verified.jkt

    def authenticate(self, call: VendorCall) -> VerifiedGrant:
        """A live grant used with a valid, fresh proof; no scope (giving a grant back)."""
        token = _dpop_token(call.authorization)
        grant = self.grants.verify(token, self._now())
        verified = self._check_proof(grant, token, call)
        with self.ctx.store.access_records() as conn:
            try:
                standing = grant_rows.standing(conn, self.ctx.id, grant.id, self.ctx.clock())
                if standing.revoked:
                    raise GrantRevoked(REVOKED)
                if standing.expired:  # the customer shortened it: its token's exp is later
                    raise GrantExpired(EXPIRED)
                replay.remember(conn, self.ctx.id, verified.replay_key, verified.expires_at)
            except NotFound:
                raise InvalidGrant(UNKNOWN_GRANT) from None
            except AlreadyExists:
                raise InvalidProof(REPLAYED) from None
        return grant

    # -- admission -------------------------------------------------------------------------------

    def _admit(self, call: VendorCall, mode: str, action: Action) -> Admission:
        """What allows `mode` on the path, and the document's ETag; else raise.

        Either way one audit event is written: `allowed` with the access records, or
        `refused` with the reason.
        """
        vendor = audit.UNKNOWN
        try:
            token = _dpop_token(call.authorization)
            grant = self.grants.verify(token, self._now())
            vendor = grant.vendor_id
            verified = self._check_proof(grant, token, call)
        except ConsentError as error:
            with self.ctx.store.access_records() as conn:
                audit.write(conn, self._refusal(vendor, action, call, None, error))
            raise
        # A path that is not a valid resource path (`..`, `//`...) is outside every grant, even
        # when it starts with a granted container's prefix; it is never looked up.
        valid = _valid_path(call.path)
        scope = grant.scope_for(call.path, mode) if valid else None
        detail: dict[str, object] = {"grant": grant.id, "method": call.method}
        if scope is not None and scope.fields is not None:
            # What the read returned (the representation keeps only these): the customer's
            # activity page says which fields a vendor read, not just that it read.
            detail["fields"] = sorted(scope.fields)
        allowed = audit.event_values(
            self.ctx.id,
            self.ctx.clock(),
            vendor,
            action,
            Outcome.ALLOWED,
            resource=call.path,
            detail=detail,
        )
        in_scope = scope is not None

        def refusal(check: vendor_reads.AccessCheck) -> dict[str, object]:
            reason = _refused_because(check, in_scope, mode, call.path)
            assert reason is not None  # the store asks only about refused requests
            return self._refusal(vendor, action, call, grant.id, reason)

        check = vendor_reads.check_and_record(
            self.ctx.store,
            allowed=allowed,
            proof_hash=verified.replay_key,
            proof_expires_at=verified.expires_at,
            in_scope=in_scope,
            path=call.path if valid else None,
            refusal=refusal,
        )
        refused = _refused_because(check, in_scope, mode, call.path)
        if secrets.randbelow(SWEEP_ONE_IN) == 0:
            with self.ctx.store.access_records() as conn:
                replay.forget_expired(conn, self.ctx.clock())
        if refused is not None:
            raise refused
        assert scope is not None
        return Admission(grant, scope, call.path, check.etag)

    def _check_proof(self, grant: VerifiedGrant, token: str, call: VendorCall) -> VerifiedProof:
        verified = verify_proof(
            call.proof, method=call.method, url=call.url, access_token=token, now=self._now()
        )
        if not secrets.compare_digest(verified.jkt, grant.jkt):
            raise InvalidProof("the proof is signed by another key than the grant is bound to")
        return verified

    def _refusal(
        self,
        vendor: str,
        action: Action,
        call: VendorCall,
        grant_id: str | None,
        error: ConsentError,
    ) -> dict[str, object]:
        """The audit event of a refused request: who, what, and the reason given."""
        detail: dict[str, str] = {"reason": str(error)}
        if grant_id:
            detail = {"grant": grant_id, "method": call.method, **detail}
        return audit.event_values(
            self.ctx.id,
            self.ctx.clock(),
            vendor,
            action,
            Outcome.REFUSED,
            resource=call.path,
            detail=detail,
        )

    def _now(self) -> float:
        return self.ctx.clock().timestamp()


def _refused_because(
    check: vendor_reads.AccessCheck, in_scope: bool, mode: str, path: str
) -> ConsentError | None:
    """Why the request is refused, in the order the checks are made; None if it is allowed."""
    if not check.grant_found:
        return InvalidGrant(UNKNOWN_GRANT)
    if check.revoked:
        return GrantRevoked(REVOKED)
    if check.expired:  # the customer shortened it: its token's exp is later
        return GrantExpired(EXPIRED)
    if check.replayed:
        return InvalidProof(REPLAYED)
    if not in_scope:  # the same answer whether or not something exists at the path
        return InsufficientScope(f"the grant does not allow {mode} on {path}")
    return None


def _valid_path(path: str) -> bool:
    try:
        check_path(path)
    except InvalidPath:
        return False
    return True


def _dpop_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "dpop" or not token.strip():
        raise InvalidGrant("send the grant as 'Authorization: DPoP <grant>' with a DPoP proof")
    return token.strip()
