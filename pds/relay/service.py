"""The relay's use cases: pods announce and withdraw intents, vendors read the feed and
subscribe, and notices go out. Nothing here knows about HTTP.

What is kept is the anonymous intent, its forwarding address, the per-intent key's thumbprint
and the reply token; it is deleted when the pod withdraws the intent or when its last day for
offers has passed (checked on every write, and on reads before answering).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import secrets
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from pds.relay import protocol
from pds.relay.delivery import NoticeOutbox
from pds.relay.errors import (
    AlreadyAnnounced,
    AnnouncementNotFound,
    InvalidClaims,
    Replayed,
    SubscriptionNotFound,
    TooManyAttempts,
    WrongKey,
)
from pds.relay.keys import RelayKey
from pds.relay.limits import Limiter, RelayLimits, window_start
from pds.relay.protocol import SignedRequest
from pds.relay.store import AnnouncementRow, RelayStore, SubscriptionRow, slashed

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


DECISION_DAYS = 30  # how long polls of an offer's decision still reach the pod after the intent


def is_id(value: object) -> bool:
    """Whether `value` could be an id or token the relay made: no query for anything else."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


@dataclasses.dataclass(frozen=True)
class Announced:
    id: str
    reply_to: str
    withdraw_url: str
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Subscribed:
    id: str
    vendor_id: str
    categories: tuple[str, ...]
    countries: tuple[str, ...]
    callback: str
    expires_at: dt.datetime
    cancel_url: str


@dataclasses.dataclass(frozen=True)
class FeedPage:
    items: list[dict[str, Any]]  # intents as vendors see them, reply_to the relay's
    total: int
    page: int
    last_page: int
    start_index: int  # the position of the first item in the whole feed, from 0


class Relay:
    def __init__(
        self,
        store: RelayStore,
        base_url: str,
        key: RelayKey,
        clock: Callable[[], dt.datetime],
        *,
        limits: RelayLimits,
        allow_private: bool,
    ):
        self.store = store
        self.base_url = base_url
        self.key = key
        self.clock = clock
        self.limits = limits
        self.allow_private = allow_private
        self.limiter = Limiter(store)
        self.outbox = NoticeOutbox(store, clock, allow_private=allow_private)

    # -- addresses -----------------------------------------------------------------------------

    def reply_url(self, token: str) -> str:
        return f"{self.base_url}/replies/{token}"

    def offer_url(self, token: str, offer_id: str) -> str:
        return f"{self.reply_url(token)}/offers/{offer_id}"

    # -- pods ----------------------------------------------------------------------------------

    def announce(self, token: str, client: str) -> Announced:
        """Take a pod's signed announcement of a published intent (docs/relay.md §4)."""
        now = self.clock()
        self.limiter.hit("announcements", client, self.limits.announcements_per_network, now)
        signed = protocol.verify_signed(token, protocol.ANNOUNCEMENT_TYP, self.base_url, now)
        for name in ("intent", "forward_to"):
            if name not in signed.claims:
                raise InvalidClaims(f"the claim {name!r} is required")
        intent = protocol.check_intent(signed.claims["intent"], now)
        forward_to = protocol.check_address(
            signed.claims["forward_to"], "forward_to", allow_private=self.allow_private, base=True
        )
        row = AnnouncementRow(
            id=secrets.token_urlsafe(16),
            intent_id=intent.id,
            intent=json.dumps(intent.body, sort_keys=True, separators=(",", ":")),
            category_path=intent.category.lineage_key,
            country=intent.country,
            key_thumbprint=signed.key_thumbprint,
            forward_to=forward_to,
            reply_token=secrets.token_urlsafe(32),
            announced_at=now,
            expires_at=intent.expires_at,
        )
        reply_to = self.reply_url(row.reply_token)
        with self.store.begin() as conn:
            self._forget(conn, now)
            self._remember(conn, signed, "announcement")
            if self.store.live_announcements(conn) >= self.limits.max_announcements:
                raise TooManyAttempts("the relay holds as many intents as it can", 3600)
            if self.store.intent_announced(conn, intent.id):
                raise AlreadyAnnounced(
                    f"{intent.id} is announced here already: withdraw it first to change it"
                )
            try:
                with conn.begin_nested():
                    self.store.add_announcement(conn, row)
                    self.store.add_route(
                        conn,
                        row.reply_token,
                        row.forward_to,
                        row.expires_at + dt.timedelta(days=DECISION_DAYS),
                    )
            except sa.exc.IntegrityError:  # the same intent, announced at this very moment
                raise AlreadyAnnounced(f"{intent.id} is announced here already") from None
            told = self.store.matching(conn, intent.category.lineage, intent.country)
            for subscription in told:
                notice = self._notice(subscription, {**intent.body, "reply_to": reply_to}, now)
                self.store.queue_notice(conn, row.id, subscription, notice, now)
        if told:
            self.outbox.kick()
        return Announced(
            id=row.id,
            reply_to=reply_to,
            withdraw_url=f"{self.base_url}/announcements/{row.id}/withdraw",
            expires_at=row.expires_at,
        )

    def withdraw(self, announcement_id: str, token: str) -> None:
        """Forget an announcement, and every notice about it not yet delivered (§5)."""
        now = self.clock()
        signed = protocol.verify_signed(token, protocol.WITHDRAWAL_TYP, self.base_url, now)
        if signed.claims.get("announcement") != announcement_id:
            raise InvalidClaims("the claim 'announcement' must be the id in the URL")
        with self.store.begin() as conn:
            self._forget(conn, now)
            row = self.store.announcement(conn, announcement_id) if is_id(announcement_id) else None
            if row is None:
                raise AnnouncementNotFound(
                    "there is no such announcement: withdrawn already, or past its last day"
                )
            if not secrets.compare_digest(row.key_thumbprint, signed.key_thumbprint):
                raise WrongKey("a withdrawal must be signed by the key that made the announcement")
            self._remember(conn, signed, "withdrawal")
            self.store.delete_announcement(conn, announcement_id)

    # -- vendors -------------------------------------------------------------------------------

    def feed(self, notation: str | None, country: str | None, page: int) -> FeedPage:
        """Current intents, newest first, filtered by category (and narrower ones) and
        country (intents that name no country match every country)."""
        now = self.clock()
        self.forget_expired()
        size = self.limits.page_size
        with self.store.read() as conn:
            rows, total = self.store.feed(
                conn,
                now=now,
                notation=notation,
                country=country,
                offset=(page - 1) * size,
                limit=size,
            )
        items = [{**json.loads(r.intent), "reply_to": self.reply_url(r.reply_token)} for r in rows]
        return FeedPage(items, total, page, max(1, -(-total // size)), (page - 1) * size)

    def subscribe(self, token: str, client: str) -> Subscribed:
        """Take a vendor's signed subscription to categories and countries (§6)."""
        now = self.clock()
        self.limiter.hit("subscriptions", client, self.limits.subscriptions_per_network, now)
        signed = protocol.verify_signed(token, protocol.SUBSCRIPTION_TYP, self.base_url, now)
        wanted = protocol.check_subscription(signed.claims)
        callback = protocol.check_address(
            signed.claims.get("callback"), "callback", allow_private=self.allow_private, base=False
        )
        row = SubscriptionRow(
            id=secrets.token_urlsafe(16),
            vendor_id=signed.key_thumbprint,
            categories=slashed(wanted.categories),
            countries=slashed(wanted.countries),
            callback=callback,
            created_at=now,
            expires_at=now + dt.timedelta(days=self.limits.subscription_days),
        )
        with self.store.begin() as conn:
            self._forget(conn, now)
            self._remember(conn, signed, "subscription")
            held, first_end = self.store.subscriptions_of(conn, row.vendor_id)
            if held >= self.limits.subscriptions_per_key:
                wait = int(((first_end or now) - now).total_seconds()) + 1
                raise TooManyAttempts(
                    f"a key holds at most {self.limits.subscriptions_per_key} subscriptions: "
                    "cancel one first",
                    max(wait, 1),
                )
            self.store.add_subscription(conn, row)
        return Subscribed(
            id=row.id,
            vendor_id=row.vendor_id,
            categories=wanted.categories,
            countries=wanted.countries,
            callback=callback,
            expires_at=row.expires_at,
            cancel_url=f"{self.base_url}/subscriptions/{row.id}/cancel",
        )

    def cancel(self, subscription_id: str, token: str) -> None:
        """End a subscription; notices not yet delivered for it are dropped."""
        now = self.clock()
        signed = protocol.verify_signed(token, protocol.UNSUBSCRIBE_TYP, self.base_url, now)
        if signed.claims.get("subscription") != subscription_id:
            raise InvalidClaims("the claim 'subscription' must be the id in the URL")
        with self.store.begin() as conn:
            self._forget(conn, now)
            row = self.store.subscription(conn, subscription_id) if is_id(subscription_id) else None
            if row is None:
                raise SubscriptionNotFound("there is no such subscription: cancelled or ended")
            if not secrets.compare_digest(row.vendor_id, signed.key_thumbprint):
                raise WrongKey("a cancellation must be signed by the key that subscribed")
            self._remember(conn, signed, "cancellation")
            self.store.delete_subscription(conn, subscription_id)

    # -- forgetting ----------------------------------------------------------------------------

    def forget_expired(self) -> None:
        """Delete what is past its end; a read takes the write lock only when there is some."""
        now = self.clock()
        with self.store.read() as conn:
            if not self.store.anything_expired(conn, now):
                return
        with self.store.begin() as conn:
            self._forget(conn, now)

    def close(self) -> None:
        self.outbox.close()
        self.store.dispose()

    # -- internals -----------------------------------------------------------------------------

    def _forget(self, conn: sa.Connection, now: dt.datetime) -> None:
        self.store.forget_expired(conn, now, window_start(now))

    def _remember(self, conn: sa.Connection, signed: SignedRequest, what: str) -> None:
        if not self.store.remember(conn, signed.replay_hash, signed.expires_at):
            raise Replayed(f"this signed {what} was used already: sign a new one")

    def _notice(
        self, subscription: SubscriptionRow, intent: dict[str, Any], now: dt.datetime
    ) -> str:
        claims = {
            "iss": self.base_url,
            "aud": subscription.vendor_id,
            "iat": int(now.timestamp()),
            "jti": secrets.token_urlsafe(12),
            "subscription": subscription.id,
            "intent": intent,
        }
        return self.key.sign(claims, protocol.NOTICE_TYP)
