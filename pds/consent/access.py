"""Deciding a vendor's data request: grant, proof, revocation, replay, scope; all audited.

The grant's signature is verified once and the result cached until the grant expires. The
proof, the replay record, revocation and scope are checked on every request, and the audit
event is written in the same transaction as the replay record. That transaction does not wait
for the disk (see `Store.begin`): a power failure may lose the last moments of access records,
never data, grants or decisions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from typing import Any

import jwt

from pds.consent.dpop import VerifiedProof, verify_proof
from pds.consent.errors import (
    ConsentError,
    GrantExpired,
    GrantRevoked,
    InsufficientScope,
    InvalidGrant,
    InvalidProof,
)
from pds.consent.grants import GRANT_TYP
from pds.consent.keys import PodKeys
from pds.consent.scopes import Scope, scopes_from_json
from pds.resources import InvalidPath, PodRef
from pds.resources.cache import LRUCache
from pds.resources.paths import check_path
from pds.store import AlreadyExists, NotFound, Store, audit
from pds.store import grants as rows
from pds.store.store import utcnow

# The pod checks grants it signed itself, on its own clock: a grant ends exactly at `exp`,
# as the owner sees it. (Several servers share one database, so they share NTP time too.)
LEEWAY = 0
SWEEP_ONE_IN = 500  # forget expired replay records on about one request in this many


@dataclasses.dataclass(frozen=True)
class VendorAccess:
    """What a verified request may do: the grant it used and the scope that covers the path."""

    grant_id: str
    vendor_id: str
    scope: Scope


@dataclasses.dataclass(frozen=True)
class _VerifiedGrant:
    claims: dict[str, Any]
    scopes: list[Scope]


class DataAccess:
    def __init__(self, store: Store, pod: PodRef, keys: PodKeys):
        self.store = store
        self.pod = pod
        self.keys = keys
        self._grants: LRUCache[_VerifiedGrant] = LRUCache(4096)

    def authorize(
        self,
        *,
        authorization: str | None,
        proof: str | None,
        method: str,
        url: str,
        path: str,
        mode: str,
    ) -> VendorAccess:
        """Allow the request or raise; either way an audit event is recorded."""
        action = f"data.{mode}"
        vendor = "unknown"
        try:
            token = _dpop_token(authorization)
            grant = self._verify_grant(token)
            vendor = grant.claims["sub"]
            verified = self._check_proof(grant, token, proof, method, url)
        except ConsentError as error:
            self._record(vendor, action, path, error, grant_id=None)
            raise

        # A path that is not a valid resource path (`..`, `//`...) is outside every grant, even
        # when it starts with a granted container's prefix.
        scope = None
        if _valid_path(path):
            scope = next((s for s in grant.scopes if s.covers(path) and mode in s.modes), None)
        grant_id = grant.claims["jti"]
        error: ConsentError | None = None
        with self.store.begin(durable=False) as conn:
            try:
                if rows.grant_is_revoked(conn, self.pod.id, grant_id):
                    raise GrantRevoked("the grant was revoked")
                rows.remember_proof(conn, self.pod.id, verified.replay_key, verified.expires_at)
                if scope is None:
                    # Same answer whether or not something exists at `path`.
                    raise InsufficientScope(f"the grant does not allow {mode} on {path}")
            except NotFound:
                error = InvalidGrant("the grant is unknown to this pod")
            except AlreadyExists:
                error = InvalidProof("the DPoP proof was already used: make a new one per request")
            except ConsentError as exc:
                error = exc
            audit.record(
                conn,
                self.pod.id,
                actor=vendor,
                action=action,
                resource=path,
                outcome="refused" if error else "allowed",
                detail=_detail(grant_id, method, error),
            )
            if secrets.randbelow(SWEEP_ONE_IN) == 0:
                rows.forget_expired_proofs(conn, utcnow())
        if error is not None:
            raise error
        return VendorAccess(grant_id, vendor, scope)

    def verify_vendor_proof(self, proof: str | None, *, method: str, url: str) -> str:
        """A proof without a grant (status URLs, giving a grant back): the signer's thumbprint.

        Replay is refused here too; nothing is audited (the vendor reads only its own state).
        """
        verified = verify_proof(proof, method=method, url=url)
        with self.store.begin(durable=False) as conn:
            try:
                rows.remember_proof(conn, self.pod.id, verified.replay_key, verified.expires_at)
            except AlreadyExists:
                raise InvalidProof("the DPoP proof was already used") from None
        return verified.jkt

    def authenticate(
        self, *, authorization: str | None, proof: str | None, method: str, url: str
    ) -> tuple[str, str]:
        """(vendor id, grant id) of a live grant used with a valid, fresh proof; no scope."""
        token = _dpop_token(authorization)
        grant = self._verify_grant(token)
        verified = self._check_proof(grant, token, proof, method, url)
        with self.store.begin(durable=False) as conn:
            try:
                if rows.grant_is_revoked(conn, self.pod.id, grant.claims["jti"]):
                    raise GrantRevoked("the grant was revoked")
                rows.remember_proof(conn, self.pod.id, verified.replay_key, verified.expires_at)
            except NotFound:
                raise InvalidGrant("the grant is unknown to this pod") from None
            except AlreadyExists:
                raise InvalidProof("the DPoP proof was already used") from None
        return grant.claims["sub"], grant.claims["jti"]

    @staticmethod
    def _check_proof(
        grant: _VerifiedGrant, token: str, proof: str | None, method: str, url: str
    ) -> VerifiedProof:
        if grant.claims["exp"] <= time.time():
            raise GrantExpired("the grant has expired: ask for a new one")
        verified = verify_proof(proof, method=method, url=url, access_token=token)
        if not secrets.compare_digest(verified.jkt, grant.claims["cnf"]["jkt"]):
            raise InvalidProof("the proof is signed by another key than the grant is bound to")
        return verified

    def _verify_grant(self, token: str) -> _VerifiedGrant:
        cache_key = hashlib.sha256(token.encode()).digest()
        cached = self._grants.get(cache_key)
        if cached is not None:
            return cached
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise InvalidGrant("the grant is not a JWT") from None
        if header.get("typ") != GRANT_TYP:
            raise InvalidGrant(f"the token is not a grant (typ must be {GRANT_TYP!r})")
        key = self.keys.verification_key(header.get("kid"))
        if key is None or header.get("alg") != key.alg:
            raise InvalidGrant("the grant was not signed by this pod")
        try:
            claims = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=[key.alg],
                audience=self.pod.base_url,
                issuer=self.pod.base_url,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "sub", "exp", "nbf", "iat", "jti", "cnf"]},
            )
        except jwt.ExpiredSignatureError:
            raise GrantExpired("the grant has expired: ask for a new one") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidGrant(f"the grant is invalid: {exc}") from None
        if not isinstance(claims.get("cnf"), dict) or not isinstance(claims["cnf"].get("jkt"), str):
            raise InvalidGrant("the grant is not bound to a key (cnf.jkt)")
        verified = _VerifiedGrant(claims, scopes_from_json(claims["scopes"]))
        self._grants.put(cache_key, verified)
        return verified

    def _record(
        self, actor: str, action: str, path: str, error: ConsentError, grant_id: str | None
    ) -> None:
        with self.store.begin(durable=False) as conn:
            audit.record(
                conn,
                self.pod.id,
                actor=actor,
                action=action,
                resource=path,
                outcome="refused",
                detail=_detail(grant_id, None, error),
            )


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


def _detail(grant_id: str | None, method: str | None, error: ConsentError | None) -> dict:
    detail: dict[str, Any] = {}
    if grant_id:
        detail["grant"] = grant_id
    if method:
        detail["method"] = method
    if error is not None:
        detail["reason"] = str(error)
    return detail
