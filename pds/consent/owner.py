"""The pod's owner: claiming a fresh pod, the password, and API tokens for scripts.

A fresh pod has no owner. `issue_setup_code` makes a one-time code (only its hash is kept) that
the operator reads on the console; whoever presents it first sets the password and owns the pod.
Failed password attempts are counted in the audit log, so the limit holds across processes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets

import argon2
import sqlalchemy as sa
from argon2.exceptions import InvalidHashError, VerificationError

from pds.consent.audit import ANONYMOUS, OWNER, Action, Outcome
from pds.consent.context import PodContext
from pds.consent.errors import (
    AlreadyClaimed,
    InvalidCredentials,
    InvalidInput,
    InvalidSetupCode,
    NotClaimed,
    TooManyAttempts,
    UnknownToken,
    WeakPassword,
)
from pds.consent.inputs import is_id, is_text, plain_text
from pds.store import NotFound, audit, pods, tokens

TOKEN_PREFIX = "pds_"  # noqa: S105 - a public marker, not a secret
SETUP_CODE_LIFETIME = dt.timedelta(hours=24)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
LOGIN_WINDOW = dt.timedelta(minutes=15)
LOGIN_FAILURES_ALLOWED = 10


@dataclasses.dataclass(frozen=True)
class ApiToken:
    id: str
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _token_view(row: tokens.TokenRow) -> ApiToken:
    return ApiToken(row.id, row.name, row.created_at, row.last_used_at, row.revoked_at)


class OwnerAccount:
    """The owner's credentials for one pod: password, setup code, API tokens, sessions."""

    def __init__(self, ctx: PodContext, hasher: argon2.PasswordHasher | None = None):
        self.ctx = ctx
        self.store = ctx.store
        self.hasher = hasher or argon2.PasswordHasher()

    # -- claiming ------------------------------------------------------------------------------

    def is_claimed(self) -> bool:
        with self.store.read() as conn:
            return pods.get(conn, self.ctx.id).claimed_at is not None

    def issue_setup_code(self) -> str:
        """A new one-time setup code for an unclaimed pod; any earlier code stops working."""
        code = "-".join(secrets.token_hex(3) for _ in range(3))
        with self.store.begin() as conn:
            if pods.lock(conn, self.ctx.id).claimed_at is not None:
                raise AlreadyClaimed("this pod already has an owner")
            pods.update(
                conn,
                self.ctx.id,
                setup_code_hash=_sha256(code),
                setup_code_expires_at=self.ctx.clock() + SETUP_CODE_LIFETIME,
            )
        return code

    def claim(self, setup_code: str, password: str) -> None:
        """Become the owner: the setup code must match, and is spent."""
        _check_password(password)
        password_hash = self.hasher.hash(password)
        with self.store.begin() as conn:
            pod = pods.lock(conn, self.ctx.id)
            if pod.claimed_at is not None:
                raise AlreadyClaimed("this pod already has an owner: sign in instead")
            self._check_attempts(conn, Action.OWNER_CLAIM)
            valid = (
                pod.setup_code_hash is not None
                and pod.setup_code_expires_at is not None
                and pod.setup_code_expires_at > self.ctx.clock()
                and hmac.compare_digest(pod.setup_code_hash, _sha256(setup_code.strip().lower()))
            )
            if not valid:
                self.ctx.record(conn, ANONYMOUS, Action.OWNER_CLAIM, Outcome.REFUSED)
            else:
                pods.update(
                    conn,
                    self.ctx.id,
                    owner_password_hash=password_hash,
                    claimed_at=self.ctx.clock(),
                    setup_code_hash=None,
                    setup_code_expires_at=None,
                )
                self.ctx.record(conn, OWNER, Action.OWNER_CLAIM, Outcome.OK)
        if not valid:  # raised after the commit, so the refusal stays counted
            raise InvalidSetupCode(
                "the setup code is wrong or expired: use the code printed by `pds serve` "
                "(or run `pds init` for a new one)"
            )

    # -- password ------------------------------------------------------------------------------

    def verify_password(self, password: str) -> None:
        """Raise InvalidCredentials (or TooManyAttempts) unless `password` is the owner's."""
        with self.store.read() as conn:
            pod = pods.get(conn, self.ctx.id)
            self._check_attempts(conn, Action.OWNER_LOGIN)
        if pod.owner_password_hash is None:
            raise NotClaimed("this pod has no owner yet: claim it with the setup code first")
        try:
            self.hasher.verify(pod.owner_password_hash, password)
        except (VerificationError, InvalidHashError, UnicodeEncodeError):  # not even text
            with self.store.begin() as conn:
                self.ctx.record(conn, ANONYMOUS, Action.OWNER_LOGIN, Outcome.REFUSED)
            raise InvalidCredentials("wrong password") from None
        if self.hasher.check_needs_rehash(pod.owner_password_hash):
            with self.store.begin() as conn:
                pods.update(conn, self.ctx.id, owner_password_hash=self.hasher.hash(password))

    def set_password(self, new_password: str) -> None:
        """Set the owner password (the CLI's `pds passwd`; the API checks the old one first)."""
        _check_password(new_password)
        password_hash = self.hasher.hash(new_password)
        with self.store.begin() as conn:
            pod = pods.lock(conn, self.ctx.id)
            pods.update(
                conn,
                self.ctx.id,
                owner_password_hash=password_hash,
                claimed_at=pod.claimed_at or self.ctx.clock(),
                setup_code_hash=None,
                setup_code_expires_at=None,
            )
            self.ctx.record(conn, OWNER, Action.OWNER_PASSWORD, Outcome.OK)

    def change_password(self, old_password: str, new_password: str) -> None:
        self.verify_password(old_password)
        self.set_password(new_password)

    def _check_attempts(self, conn: sa.Connection, action: Action) -> None:
        now = self.ctx.clock()
        failures = audit.query(
            conn,
            self.ctx.id,
            action=action.value,
            outcome=Outcome.REFUSED.value,
            since=now - LOGIN_WINDOW,
            limit=LOGIN_FAILURES_ALLOWED,
        )
        if len(failures) >= LOGIN_FAILURES_ALLOWED:
            retry = int((failures[-1].at + LOGIN_WINDOW - now).total_seconds()) + 1
            raise TooManyAttempts(
                f"too many failed attempts: try again in {max(retry, 1)} seconds", max(retry, 1)
            )

    # -- page sessions -------------------------------------------------------------------------

    def session_epoch(self) -> str:
        """Sessions of the consent page carry the epoch they began in; a new one ends them.

        The pod's creation time is part of it: a pod deleted and made again under the same name
        (by a provider) never honours the sessions of the one before.
        """
        with self.store.read() as conn:
            row = pods.get(conn, self.ctx.id)
        return f"{row.created_at.isoformat()}#{int(row.settings.get('session_epoch', 0))}"

    def end_sessions(self) -> None:
        """Sign out every browser (after a password change or an import)."""
        with self.store.begin() as conn:
            settings = dict(pods.lock(conn, self.ctx.id).settings)
            settings["session_epoch"] = int(settings.get("session_epoch", 0)) + 1
            pods.update(conn, self.ctx.id, settings=settings)

    # -- API tokens ----------------------------------------------------------------------------

    def create_token(self, name: str) -> tuple[ApiToken, str]:
        """A new API token. The secret string is returned once and never stored."""
        name = plain_text(name.strip(), "a token's name")
        if not name or len(name) > 200:
            raise InvalidInput("a token needs a name of 1 to 200 characters")
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        with self.store.begin() as conn:
            if pods.get(conn, self.ctx.id).claimed_at is None:
                raise NotClaimed("claim the pod before creating tokens")
            row = tokens.add(conn, self.ctx.id, token_id, name, _sha256(secret), self.ctx.clock())
            self.ctx.record(
                conn,
                OWNER,
                Action.OWNER_TOKEN_CREATE,
                Outcome.OK,
                detail={"token": token_id, "name": name},
            )
        return _token_view(row), f"{TOKEN_PREFIX}{token_id}_{secret}"

    def list_tokens(self) -> list[ApiToken]:
        with self.store.read() as conn:
            return [_token_view(r) for r in tokens.list_all(conn, self.ctx.id)]

    def revoke_token(self, token_id: str) -> None:
        if not is_id(token_id):
            raise UnknownToken(f"there is no token {token_id!r}")
        with self.store.begin() as conn:
            try:
                tokens.revoke(conn, self.ctx.id, token_id, self.ctx.clock())
            except NotFound:
                raise UnknownToken(f"there is no token {token_id!r}") from None
            self.ctx.record(
                conn, OWNER, Action.OWNER_TOKEN_REVOKE, Outcome.OK, detail={"token": token_id}
            )

    def authenticate_token(self, presented: str) -> ApiToken:
        """The live token `presented` names, else InvalidCredentials."""
        parts = presented.removeprefix(TOKEN_PREFIX).split("_", 1)
        if not presented.startswith(TOKEN_PREFIX) or len(parts) != 2 or len(presented) > 200:
            raise InvalidCredentials("the token is malformed: owner tokens start with 'pds_'")
        token_id, secret = parts
        if not is_id(token_id):
            raise InvalidCredentials("the token is unknown")
        with self.store.read() as conn:
            try:
                row = tokens.get(conn, self.ctx.id, token_id)
            except NotFound:
                row = None
        if row is None or not hmac.compare_digest(row.secret_hash, _sha256(secret)):
            raise InvalidCredentials("the token is unknown")
        if row.revoked_at is not None:
            raise InvalidCredentials("the token was revoked")
        now = self.ctx.clock()
        # Record use at most once a minute: a hot read path should not write on every request.
        if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1):
            with self.store.begin() as conn:
                tokens.touch(conn, self.ctx.id, token_id, now)
        return _token_view(row)


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise WeakPassword(f"the password needs at least {MIN_PASSWORD} characters")
    if not is_text(password):
        raise WeakPassword("the password must be Unicode text (it holds a lone surrogate)")
    if len(password) > MAX_PASSWORD:
        raise WeakPassword(f"the password may have at most {MAX_PASSWORD} characters")
