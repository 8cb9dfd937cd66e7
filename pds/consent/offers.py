"""Offers: vendors answer a published intent; the customer compares, shortlists, declines or
accepts.

An offer is a JWS signed by the vendor's own key (the key in its header, as in an access
request), sent to the intent's reply address. It is untrusted text: bounded in size, stored as
sent, shown as text. The vendor follows it at its status URL with DPoP proofs of the same key.
Accepting makes an access request from the offer, for the fields the customer ticks, and
approves it at once: only then does the vendor get a grant, and learn who the customer is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from pds.consent import callbacks, jose, requests, terms
from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.catalogue import VENDOR_CONTAINER
from pds.consent.context import PodContext
from pds.consent.decisions import MIN_GRANT_SECONDS, Decisions
from pds.consent.errors import (
    AlreadyDecided,
    IntentNotFound,
    InvalidInput,
    OfferNotFound,
    RateLimited,
    TooLarge,
)
from pds.consent.grants import Grant
from pds.consent.hourly import HOUR, check_cap
from pds.consent.inputs import check_lifetime, is_id, is_text
from pds.consent.intents import Intent, Intents
from pds.consent.offer_body import offer_body
from pds.consent.requests import MAX_DURATION
from pds.consent.scopes import APPEND, READ, Scope, check_scope
from pds.store import AlreadyExists, NotFound, pods, replay
from pds.store import offers as rows
from pds.store import requests as request_rows

OFFER_TYP = "pds-offer+jwt"
MAX_OFFER_BYTES = 16384
MAX_LIFETIME = 600  # seconds from iat to exp
OFFERS_PER_VENDOR_HOUR = 3  # to one intent, from one key
OFFERS_PER_CLIENT_HOUR = 20  # to this pod, from one network
MAX_OFFERS_PER_INTENT = 200
ACCEPTED_DURATION = 30 * 86400  # what an accepted offer's grant lasts unless the customer says
SERVICE_PROVISION = "https://w3id.org/dpv#ServiceProvision"


@dataclasses.dataclass(frozen=True)
class Offer:
    id: str
    intent_id: str
    vendor_id: str
    vendor: dict[str, Any]  # self-declared, unverified
    summary: str
    price: dict[str, str]  # amount (decimal text), currency
    valid_until: str  # a date
    link: str | None
    terms: list[str]  # the customer's terms the vendor accepts
    status: str  # received, shortlisted, declined, accepted
    received_at: dt.datetime
    decided_at: dt.datetime | None
    request_id: str | None  # the access request acceptance made, whose grant the vendor gets

    @classmethod
    def from_row(cls, row: rows.OfferRow) -> Offer:
        body = row.offer
        return cls(
            id=row.id,
            intent_id=row.intent_id,
            vendor_id=row.vendor_id,
            vendor=row.vendor,
            summary=body["summary"],
            price=body["price"],
            valid_until=body["valid_until"],
            link=body.get("link"),
            terms=body.get("terms", []),
            status=row.status,
            received_at=row.received_at,
            decided_at=row.decided_at,
            request_id=row.request_id,
        )


class Offers:
    def __init__(self, ctx: PodContext, intents: Intents, decisions: Decisions):
        self.ctx = ctx
        self.intents = intents
        self.decisions = decisions

    # -- the vendor's side ---------------------------------------------------------------------

    def submit(
        self,
        reply_token: str,
        signed: str,
        client_address: str | None = None,
        *,
        relay_reply: str | None = None,
    ) -> Offer:
        """Check a vendor's signed offer to the intent at `reply_token` and keep it.

        `relay_reply` is the relay's reply address the offer says it came through: the vendor
        signed it for that address (its `aud`), and the relay holds back floods by network.
        """
        if len(signed) > MAX_OFFER_BYTES:
            raise TooLarge(f"an offer is at most {MAX_OFFER_BYTES} bytes")
        intent = self.intents.open_for_offers(reply_token)
        signed_offer = jose.verify_self_signed(signed, OFFER_TYP, "the offer")
        claims, vendor_jwk, vendor_id = (
            signed_offer.claims,
            signed_offer.jwk,
            signed_offer.thumbprint,
        )
        now = self.ctx.clock()
        relayed = self.intents.relays.relayed_reply(intent.id, relay_reply)
        audience = relay_reply if relayed else self.intents.reply_url(reply_token)
        self._check_claims(claims, intent, audience, now)
        body = offer_body(claims.get("offer"), now)
        # Where the vendor hears of its grant's events once accepted (never before: a notice
        # names the pod).
        body["callback"] = callbacks.check_callback(
            claims.get("callback"), allow_private=self.ctx.allow_private_callbacks
        )
        vendor = requests.vendor_info(claims.get("vendor"))
        client = None if relayed else requests.client_network(client_address)
        offer_id = secrets.token_urlsafe(16)
        row = rows.OfferRow(
            id=offer_id,
            intent_id=intent.id,
            vendor_id=vendor_id,
            vendor_jwk=vendor_jwk,
            vendor=vendor,
            offer=body,
            client=client,
            status="received",
            received_at=now,
            decided_at=None,
            request_id=None,
        )
        with self.ctx.store.begin() as conn:
            # The pod's row is locked while the caps are counted: concurrent offers are
            # counted one after the other, so none can slip past a cap.
            pod = pods.lock(conn, self.ctx.id)
            self._check_flood(conn, intent, vendor_id, client, now)
            pod_terms = terms.current_terms(pod.settings)
            body["terms"] = terms.known_ids(pod_terms, body["terms"])
            try:
                replay.remember(
                    conn,
                    self.ctx.id,
                    # With its address: the same jti at another pod's intent must not be
                    # refused here, or a vendor could tell which intents are this pod's.
                    hashlib.sha256(
                        f"offer {vendor_id} {audience} {claims['jti']}".encode()
                    ).hexdigest(),
                    dt.datetime.fromtimestamp(claims["exp"] + 60, dt.UTC),
                )
            except AlreadyExists:
                raise InvalidInput("this signed offer was already sent") from None
            rows.add(conn, self.ctx.id, row)
            self.ctx.record(
                conn,
                vendor_id,
                Action.OFFER_RECEIVE,
                Outcome.OK,
                resource=intent.path,
                detail={"offer": offer_id, "vendor": vendor.get("name")},
            )
        return Offer.from_row(row)

    def relayed_status_url(
        self, reply_token: str, offer_id: str, relay_reply: str | None
    ) -> str | None:
        """The offer's status URL at the relay it came through, if `relay_reply` is one of this
        intent's relays; None if it came to the pod directly."""
        intent = self.intents.at_reply_token(reply_token)
        # Polls keep coming through the relay after the intent closed, to learn the decision.
        if self.intents.relays.relayed_reply(intent.id, relay_reply, include_withdrawn=True):
            return f"{relay_reply}/offers/{offer_id}"
        return None

    def for_vendor(self, reply_token: str, offer_id: str, vendor_id: str) -> Offer:
        """The offer if `vendor_id` made it, to this intent; others learn nothing of it."""
        if not is_id(offer_id):
            raise OfferNotFound("there is no offer here for your key")
        try:
            intent = self.intents.at_reply_token(reply_token)
            with self.ctx.store.read() as conn:
                row = rows.get(conn, self.ctx.id, offer_id)
        except (NotFound, IntentNotFound):
            raise OfferNotFound("there is no offer here for your key") from None
        if row.intent_id != intent.id or not secrets.compare_digest(row.vendor_id, vendor_id):
            raise OfferNotFound("there is no offer here for your key")
        return Offer.from_row(row)

    # -- the customer's side -------------------------------------------------------------------

    def for_intent(self, intent_id: str) -> list[Offer]:
        """The offers to an intent, oldest first."""
        intent = self.intents.get(intent_id)
        with self.ctx.store.read() as conn:
            return [Offer.from_row(r) for r in rows.for_intent(conn, self.ctx.id, intent.id)]

    def get(self, offer_id: str) -> Offer:
        if not is_id(offer_id):
            raise OfferNotFound(f"there is no offer {offer_id!r}")
        with self.ctx.store.read() as conn:
            try:
                return Offer.from_row(rows.get(conn, self.ctx.id, offer_id))
            except NotFound:
                raise OfferNotFound(f"there is no offer {offer_id!r}") from None

    def shortlist(self, offer_id: str) -> Offer:
        return self._decide(offer_id, "shortlisted", Action.OFFER_SHORTLIST, ("received",))

    def decline(self, offer_id: str) -> Offer:
        """Say no; the vendor reads it at the offer's status URL."""
        return self._decide(offer_id, "declined", Action.OFFER_DECLINE, ("received", "shortlisted"))

    def accept(
        self,
        offer_id: str,
        fields: Sequence[str],
        *,
        duration_seconds: int = ACCEPTED_DURATION,
        decline_others: bool = False,
        records: bool = False,
    ) -> Grant:
        """Let the vendor read `fields` of the profile (typically a name and one contact), for
        `duration_seconds`: a grant bound to its key, with a receipt. With `records` it may
        also keep records in the pod (receipts, warranties, service visits: its own container).
        Other offers to the intent are declined if `decline_others`, else left as they are."""
        offer = self.get(offer_id)
        if offer.status not in ("received", "shortlisted"):
            raise AlreadyDecided(f"this offer was already {offer.status}")
        if (
            not isinstance(duration_seconds, int)
            or isinstance(duration_seconds, bool)
            or not MIN_GRANT_SECONDS <= duration_seconds <= MAX_DURATION
        ):
            raise InvalidInput(
                f"duration_seconds is a whole number of seconds from {MIN_GRANT_SECONDS} "
                f"to {MAX_DURATION}"
            )
        intent = self.intents.get(offer.intent_id)
        if not fields:
            raise InvalidInput("tick at least one thing the vendor may see, such as your name")
        scopes = [check_scope(Scope("/profile", frozenset({READ}), frozenset(fields)))]
        if records:
            own = VENDOR_CONTAINER.format(vendor_id=offer.vendor_id)
            scopes.append(check_scope(Scope(own, frozenset({READ, APPEND})), offer.vendor_id))
        name = intent.published["name"] if intent.published else intent.id
        now = self.ctx.clock()
        request_id = secrets.token_urlsafe(16)
        with self.ctx.store.begin() as conn:
            stored = rows.get(conn, self.ctx.id, offer.id)
            request_rows.add(
                conn,
                self.ctx.id,
                request_rows.RequestRow(
                    id=request_id,
                    vendor_id=offer.vendor_id,
                    vendor_jwk=stored.vendor_jwk,
                    vendor=offer.vendor,
                    scopes=[s.to_json() for s in scopes],
                    purpose={
                        "iri": SERVICE_PROVISION,
                        "description": f"to follow up the offer you accepted for: {name}",
                    },
                    duration_seconds=duration_seconds,
                    terms=offer.terms,
                    callback=stored.offer.get("callback"),
                    status="pending",
                    created_at=now,
                    decided_at=None,
                    grant_id=None,
                ),
            )
            if not rows.decide(conn, self.ctx.id, offer.id, "accepted", now, request_id=request_id):
                raise AlreadyDecided("this offer was decided meanwhile")
            self.ctx.record(
                conn,
                OWNER,
                Action.OFFER_ACCEPT,
                Outcome.OK,
                resource=intent.path,
                detail={"offer": offer.id, "vendor": offer.vendor_id, "request": request_id},
            )
        grant = self.decisions.approve(request_id, duration_seconds=duration_seconds)
        if decline_others:
            for other in self.for_intent(intent.id):
                if other.id != offer.id and other.status in ("received", "shortlisted"):
                    self.decline(other.id)
        return grant

    # -- internals -----------------------------------------------------------------------------

    def _decide(
        self, offer_id: str, status: str, action: Action, allowed: tuple[str, ...]
    ) -> Offer:
        offer = self.get(offer_id)
        now = self.ctx.clock()
        with self.ctx.store.begin() as conn:
            if not rows.decide(conn, self.ctx.id, offer.id, status, now, allowed_from=allowed):
                raise AlreadyDecided(f"this offer is {offer.status}")
            self.ctx.record(
                conn,
                OWNER,
                action,
                Outcome.OK,
                resource="/intents/" + offer.intent_id,
                detail={"offer": offer.id, "vendor": offer.vendor_id},
            )
        return self.get(offer_id)

    def _check_claims(
        self, claims: dict[str, Any], intent: Intent, audience: str | None, now: dt.datetime
    ) -> None:
        for name in ("aud", "iat", "exp", "jti", "intent", "offer", "vendor"):
            if name not in claims:
                raise InvalidInput(f"the offer's claims are invalid: {name!r} is required")
        if claims["aud"] != audience:
            raise InvalidInput("the offer's aud must be the reply address it is sent to")
        if intent.published is None or claims["intent"] != intent.published["id"]:
            raise InvalidInput("the offer's intent is not the intent at this address")
        check_lifetime(claims, now.timestamp(), MAX_LIFETIME, "offer")
        if not is_text(claims["jti"]) or not 8 <= len(claims["jti"]) <= 128:
            raise InvalidInput("the offer's jti must be a unique string of 8 to 128 characters")

    def _check_flood(
        self,
        conn: sa.Connection,
        intent: Intent,
        vendor_id: str,
        client: str | None,
        now: dt.datetime,
    ) -> None:
        since = now - HOUR
        count, oldest = rows.count_since(
            conn, self.ctx.id, since, intent_id=intent.id, vendor_id=vendor_id
        )
        what = "offers an hour to one intent per vendor key"
        check_cap(count, oldest, OFFERS_PER_VENDOR_HOUR, since, what)
        if client is not None:
            count, oldest = rows.count_since(conn, self.ctx.id, since, client=client)
            check_cap(
                count, oldest, OFFERS_PER_CLIENT_HOUR, since, "offers an hour from one network"
            )
        if rows.count_for_intent(conn, self.ctx.id, intent.id) >= MAX_OFFERS_PER_INTENT:
            raise RateLimited(
                f"this intent has {MAX_OFFERS_PER_INTENT} offers already", retry_after=86400
            )
