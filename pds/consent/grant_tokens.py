"""Grant tokens the pod signed: verified once per process, then served from a cache.

Only the signature and the fixed claims are cached; expiry is checked on every use against the
clock, and revocation in the database (see `vendor_data`), so a cached grant never outlives
either.
"""

from __future__ import annotations

import dataclasses
import hashlib

import jwt

from pds.consent.errors import GrantExpired, InvalidGrant
from pds.consent.keys import PodKeys
from pds.consent.scopes import Scope, scopes_from_json
from pds.resources.cache import LRUCache

GRANT_TYP = "pds-grant+jwt"
# The pod checks grants it signed itself, on its own clock: a grant ends exactly at `exp`,
# as the owner sees it. (Several servers share one database, so they share NTP time too.)
LEEWAY = 0
_REQUIRED = ["iss", "aud", "sub", "exp", "nbf", "iat", "jti", "cnf"]


@dataclasses.dataclass(frozen=True)
class VerifiedGrant:
    """The claims of a grant whose signature checked out."""

    id: str
    vendor_id: str
    jkt: str  # thumbprint of the key every request with this grant must be signed by
    expires_at: int  # seconds since the epoch
    scopes: tuple[Scope, ...]

    def scope_for(self, path: str, mode: str) -> Scope | None:
        return next((s for s in self.scopes if s.covers(path) and mode in s.modes), None)


class GrantVerifier:
    def __init__(self, keys: PodKeys, base_url: str, cache_entries: int = 4096):
        self.keys = keys
        self.base_url = base_url
        self._verified: LRUCache[VerifiedGrant] = LRUCache(cache_entries)

    def verify(self, token: str, now: float) -> VerifiedGrant:
        """The grant in `token` if this pod signed it and it has not expired at `now`."""
        cache_key = hashlib.sha256(token.encode()).digest()
        grant = self._verified.get(cache_key)
        if grant is None:
            grant = self._verify_signature(token)
            self._verified.put(cache_key, grant)
        if grant.expires_at <= now:
            raise GrantExpired("the grant has expired: ask for a new one")
        return grant

    def _verify_signature(self, token: str) -> VerifiedGrant:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise InvalidGrant("the grant is not a JWT") from None
        except jwt.InvalidTokenError as exc:  # a header PyJWT refuses: crit, a kid not a string
            raise InvalidGrant(f"the grant is not a valid JWT: {exc}") from None
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
                audience=self.base_url,
                issuer=self.base_url,
                leeway=LEEWAY,
                options={"require": _REQUIRED},
            )
        except jwt.ExpiredSignatureError:
            raise GrantExpired("the grant has expired: ask for a new one") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidGrant(f"the grant is invalid: {exc}") from None
        cnf = claims.get("cnf")
        if not isinstance(cnf, dict) or not isinstance(cnf.get("jkt"), str):
            raise InvalidGrant("the grant is not bound to a key (cnf.jkt)")
        if not isinstance(claims["exp"], int) or isinstance(claims["exp"], bool):
            raise InvalidGrant("the grant's exp is not a number of seconds")
        return VerifiedGrant(
            id=claims["jti"],
            vendor_id=claims["sub"],
            jkt=cnf["jkt"],
            expires_at=claims["exp"],
            scopes=tuple(scopes_from_json(claims["scopes"])),
        )
