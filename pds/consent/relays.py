"""Intent relays: where the customer's published intents are announced, so that vendors who do
not know the pod can find them (docs/relay.md).

The customer chooses the relays. Each intent has its own key, made when it is published, and
signs what the pod tells relays about it with that key only: a relay cannot tell that two
intents came from one pod. An announcement carries the intent as vendors see it and the pod's
reply address for it, which only the relay learns; vendors get the relay's reply address. When
the intent closes, the pod withdraws it and the relay forgets it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from pds.consent import callbacks
from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.callbacks import DeliveryRefused
from pds.consent.context import PodContext
from pds.consent.errors import InvalidInput
from pds.consent.jose import public_jwk
from pds.store import intents as rows
from pds.store import pods

ANNOUNCEMENT_TYP = "intent-announcement+jwt"
WITHDRAWAL_TYP = "intent-withdrawal+jwt"
MAX_RELAYS = 10
MEDIA_TYPE = "application/jwt"


@dataclasses.dataclass(frozen=True)
class Announcement:
    """What one relay was told of one intent, and what it answered."""

    relay: str
    reply_url: str | None  # vendors' address for offers, at the relay
    announced_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    error: str | None  # why the relay refused it or could not be reached

    @classmethod
    def from_row(cls, row: rows.AnnouncementRow) -> Announcement:
        return cls(row.relay, row.reply_url, row.announced_at, row.withdrawn_at, row.error)


class IntentRelays:
    def __init__(self, ctx: PodContext):
        self.ctx = ctx

    # -- the customer's choice ------------------------------------------------------------------

    def chosen(self) -> list[str]:
        """The relays intents are announced to, as base URLs."""
        with self.ctx.store.read() as conn:
            relays: list[str] = pods.get(conn, self.ctx.id).settings.get("relays", [])
        return relays

    def choose(self, raw: Any) -> list[str]:
        """Replace the relays; intents published from now on are announced to these."""
        if not isinstance(raw, list) or len(raw) > MAX_RELAYS:
            raise InvalidInput(f"relays is a list of at most {MAX_RELAYS} relay URLs")
        chosen: list[str] = []
        for url in raw:
            checked = callbacks.check_callback(url, allow_private=self.ctx.allow_private_callbacks)
            parts = urlsplit(checked or "")
            if checked is None or parts.query or parts.fragment:
                raise InvalidInput("a relay is an https URL with no query or fragment")
            # The relay checks `aud` against its base URL exactly: write it as relays do.
            base = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}".rstrip("/")
            if base not in chosen:
                chosen.append(base)
        with self.ctx.store.begin() as conn:
            settings = dict(pods.lock(conn, self.ctx.id).settings)
            settings["relays"] = chosen
            pods.update(conn, self.ctx.id, settings=settings)
            self.ctx.record(
                conn, OWNER, Action.RELAYS_UPDATE, Outcome.OK, detail={"relays": chosen}
            )
        return chosen

    # -- what relays are told -------------------------------------------------------------------

    def announce(self, intent_id: str, published: dict[str, Any], reply_url: str) -> None:
        """Tell every chosen relay of a newly published intent (each answer is recorded)."""
        with self.ctx.store.read() as conn:
            row = rows.get(conn, self.ctx.id, intent_id)
        if row is None:
            return
        key = _private_key(row.relay_key)
        intent = {k: v for k, v in published.items() if k != "reply_to"}
        for relay in self.chosen():
            claims = {**self._claims(relay), "intent": intent, "forward_to": reply_url}
            answer: dict[str, Any] = {}
            error = None
            try:
                body = callbacks.post(
                    relay + "/announcements",
                    _sign(key, claims, ANNOUNCEMENT_TYP),
                    MEDIA_TYPE,
                    allow_private=self.ctx.allow_private_callbacks,
                )
                answer = json.loads(body)
                if not all(isinstance(answer.get(k), str) for k in ("id", "reply_to")):
                    raise ValueError("the relay's answer has no id or reply_to")
            except (DeliveryRefused, ValueError, AttributeError) as exc:
                error = str(exc)[:500] or type(exc).__name__
            self._save(
                rows.AnnouncementRow(
                    intent_id=intent_id,
                    relay=relay,
                    announcement_id=answer.get("id") if error is None else None,
                    reply_url=answer.get("reply_to") if error is None else None,
                    withdraw_url=answer.get("withdraw_url") if error is None else None,
                    announced_at=self.ctx.clock() if error is None else None,
                    withdrawn_at=None,
                    error=error,
                )
            )

    def withdraw(self, intent_id: str) -> None:
        """Ask every relay that took the intent to forget it."""
        with self.ctx.store.read() as conn:
            row = rows.get(conn, self.ctx.id, intent_id)
            told = rows.announcements(conn, self.ctx.id, intent_id)
        if row is None:
            return
        key = _private_key(row.relay_key)
        for announcement in told:
            if announcement.announcement_id is None or announcement.withdrawn_at is not None:
                continue
            url = announcement.withdraw_url or (
                f"{announcement.relay}/announcements/{announcement.announcement_id}/withdraw"
            )
            claims = {
                **self._claims(announcement.relay),
                "announcement": announcement.announcement_id,
            }
            error = None
            try:
                callbacks.post(
                    url,
                    _sign(key, claims, WITHDRAWAL_TYP),
                    MEDIA_TYPE,
                    allow_private=self.ctx.allow_private_callbacks,
                )
            except DeliveryRefused as exc:
                error = f"withdrawal failed: {exc}"[:500]
            self._save(
                dataclasses.replace(
                    announcement,
                    withdrawn_at=self.ctx.clock() if error is None else None,
                    error=error,
                )
            )

    def of(self, intent_id: str) -> list[Announcement]:
        """Where the intent was announced, and how that went."""
        with self.ctx.store.read() as conn:
            return [
                Announcement.from_row(r) for r in rows.announcements(conn, self.ctx.id, intent_id)
            ]

    def relayed_reply(
        self, intent_id: str, reply_url: str | None, *, include_withdrawn: bool = False
    ) -> bool:
        """Whether `reply_url` is a relay's reply address for this intent (still announced,
        unless `include_withdrawn`)."""
        if not reply_url:
            return False
        with self.ctx.store.read() as conn:
            found = rows.by_relay_reply(
                conn, self.ctx.id, reply_url, include_withdrawn=include_withdrawn
            )
        return found is not None and found.intent_id == intent_id

    # -- internals -----------------------------------------------------------------------------

    def _claims(self, relay: str) -> dict[str, Any]:
        now = int(self.ctx.clock().timestamp())
        return {"aud": relay, "iat": now, "exp": now + 300, "jti": secrets.token_urlsafe(16)}

    def _save(self, row: rows.AnnouncementRow) -> None:
        with self.ctx.store.begin() as conn:
            rows.save_announcement(conn, self.ctx.id, row)


def new_relay_key() -> str:
    """A fresh key for one intent, as PKCS#8 PEM."""
    return (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def _private_key(pem: str) -> ed25519.Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return key


def _sign(key: ed25519.Ed25519PrivateKey, claims: dict[str, Any], typ: str) -> str:
    header = {"typ": typ, "jwk": public_jwk(key)}
    return jwt.encode(claims, key, algorithm="EdDSA", headers=header)
