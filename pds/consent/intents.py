"""Intents: what the customer wants, published so that vendors come with offers (the personal RFP).

An intent is a document under `/intents/` (checked against the intent shape like any other).
Publishing it gives it a random public id and a reply address for offers; what is published is
built from the document through a fixed list of fields, so nothing else in the pod (a name, a
contact, the pod's own address) can slip out. The customer sees exactly that before publishing.
It travels under the IEEE 7012 agreement PDC-INTENT. Paused intents take no offers until
resumed; closed ones never again; after its last day for offers, an intent is closed by itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import unicodedata
from typing import Any

from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from pds import schemas
from pds.consent.agreements import preferred_id, roster
from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.categories import category_of
from pds.consent.context import PodContext
from pds.consent.errors import AlreadyDecided, IntentNotFound, IntentNotOpen, InvalidInput
from pds.consent.inputs import is_id
from pds.consent.owner_data import OwnerData
from pds.consent.relays import IntentRelays, new_relay_key
from pds.resources import ResourceNotFound
from pds.store import NotFound, pods
from pds.store import intents as rows

SCHEMA = Namespace("https://schema.org/")
PDS = schemas.VOCAB
PREFIX = "/intents/"
REPLY_PATH = "/replies/"
MAX_DAYS = 366  # the furthest last day for offers (relays keep an intent no longer)
AGREEMENT = {
    "id": "PDC-INTENT",
    "title": "Personal data contribution: intentcasting",
    "standard": "IEEE 7012-2025",
    "roster": "Customer Commons",
}
PRIVATE_FIELDS = (
    SCHEMA.name,
    SCHEMA.email,
    SCHEMA.telephone,
    SCHEMA.streetAddress,
    SCHEMA.postalCode,
)


@dataclasses.dataclass(frozen=True)
class Intent:
    """One of the customer's intents, as the customer sees it."""

    id: str  # the document's name under /intents/
    status: str  # draft, published, paused, closed
    published: dict[str, Any] | None  # what vendors see (None for a draft whose document is gone)
    public_id: str | None
    reply_url: str | None
    published_at: dt.datetime | None
    closed_at: dt.datetime | None

    @property
    def path(self) -> str:
        return PREFIX + self.id

    @property
    def takes_offers(self) -> bool:
        return self.status == "published"


@dataclasses.dataclass(frozen=True)
class Preview:
    """What publishing an intent would show vendors, and what in it may give the customer away."""

    published: dict[str, Any]
    warnings: list[str]


@dataclasses.dataclass(frozen=True)
class IntentDraft:
    """An intent as a form or an API client gives it; every value as text, as typed."""

    name: str
    category: str  # a category IRI (see categories())
    offers_until: str  # a date
    description: str = ""
    must_have: tuple[str, ...] = ()
    min_price: str = ""
    max_price: str = ""
    currency: str = ""
    locality: str = ""
    country: str = ""
    radius_km: str = ""
    wanted_by: str = ""


class Intents:
    def __init__(self, ctx: PodContext, data: OwnerData, relays: IntentRelays):
        self.ctx = ctx
        self.data = data
        self.relays = relays

    def create(self, draft: IntentDraft) -> Intent:
        """Write a new intent document from `draft` (checked against the intent shape: a
        ShapeViolation says what to fix), under a name made from what is wanted."""
        name = _slug(draft.name) + "-" + secrets.token_hex(3)
        document_iri = f"{self.ctx.base_url}/data{PREFIX}{name}"
        self.data.put_graph(PREFIX + name, _graph(draft, document_iri), if_none_match=True)
        return self.get(name)

    def edit(self, intent_id: str, draft: IntentDraft) -> Intent:
        """Rewrite a draft from `draft`. A published intent is not changed: relays hold the copy
        they were given, so the customer closes it and publishes a new one."""
        intent = self.get(intent_id)
        if intent.status != "draft":
            raise IntentNotOpen(
                f"this intent is {intent.status}: close it and write a new one to change it"
            )
        document_iri = f"{self.ctx.base_url}/data{PREFIX}{intent_id}"
        self.data.put_graph(PREFIX + intent_id, _graph(draft, document_iri))
        return self.get(intent_id)

    def all(self) -> list[Intent]:
        """Every intent document, drafts included, newest publication first."""
        with self.ctx.store.read() as conn:
            published = {r.id: r for r in rows.list_intents(conn, self.ctx.id)}
        names = [p[len(PREFIX) :] for p, _ in self.ctx.documents.paths_under(self.ctx.ref, PREFIX)]
        intents = [self._intent(name, published.get(name)) for name in names if is_id(name)]
        return sorted(intents, key=lambda i: (i.published_at is None, i.id))

    def get(self, intent_id: str) -> Intent:
        if not is_id(intent_id):
            raise IntentNotFound(f"there is no intent {intent_id!r}")
        with self.ctx.store.read() as conn:
            row = rows.get(conn, self.ctx.id, intent_id)
        intent = self._intent(intent_id, row)
        if row is None and intent.published is None:
            raise IntentNotFound(f"there is no intent {intent_id!r}")
        return intent

    def preview(self, intent_id: str) -> Preview:
        """Exactly what `publish` would show vendors, and warnings about it."""
        intent = self.get(intent_id)
        if intent.published is None:
            raise IntentNotFound(f"the intent {intent_id!r} has no document")
        published = intent.published
        if intent.reply_url is None:
            published = {**published, "reply_to": "(an address made when you publish)"}
        return Preview(published, self._warnings(published))

    def publish(self, intent_id: str) -> Intent:
        """Give the intent a public id and a reply address, and announce it to the chosen
        relays: vendors may now send offers."""
        intent = self.get(intent_id)
        if intent.status != "draft":
            raise AlreadyDecided(f"this intent is already {intent.status}")
        if intent.published is None:
            raise IntentNotFound(f"the intent {intent_id!r} has no document")
        today = self.ctx.clock().date()
        if not today <= _offers_until(intent.published) <= today + dt.timedelta(days=MAX_DAYS):
            raise InvalidInput(
                f"its last day for offers must be from today to {MAX_DAYS} days ahead"
            )
        if "name" not in (intent.published["category"] or {}):
            raise InvalidInput("its category is not one of the list: choose one from it")
        row = rows.IntentRow(
            id=intent_id,
            public_id=secrets.token_urlsafe(16),
            reply_token=secrets.token_urlsafe(32),
            status="published",
            published_at=self.ctx.clock(),
            closed_at=None,
            relay_key=new_relay_key(),
            agreement=self._proffered_now(),  # what vendors answering it are told
        )
        with self.ctx.store.begin() as conn:
            if rows.get(conn, self.ctx.id, intent_id) is not None:
                raise AlreadyDecided("this intent was published meanwhile")
            rows.add(conn, self.ctx.id, row)
            self.ctx.record(
                conn,
                OWNER,
                Action.INTENT_PUBLISH,
                Outcome.OK,
                resource=PREFIX + intent_id,
                detail={"intent": row.public_id},
            )
        published = self.get(intent_id)
        assert published.published is not None and published.reply_url is not None
        self.relays.announce(intent_id, published.published, published.reply_url)
        return self.get(intent_id)

    def pause(self, intent_id: str) -> Intent:
        return self._move(intent_id, "paused", Action.INTENT_PAUSE, allowed=("published",))

    def resume(self, intent_id: str) -> Intent:
        return self._move(intent_id, "published", Action.INTENT_RESUME, allowed=("paused",))

    def close(self, intent_id: str) -> Intent:
        """No more offers, ever; relays forget it. Offers already made stay for the customer."""
        closed = self._move(
            intent_id, "closed", Action.INTENT_CLOSE, allowed=("published", "paused")
        )
        self.relays.withdraw(intent_id)
        return closed

    def at_reply_token(self, reply_token: str) -> Intent:
        """The intent a reply address belongs to, whatever its state."""
        if not is_id(reply_token):
            raise IntentNotFound("there is no intent at this address")
        with self.ctx.store.read() as conn:
            try:
                row = rows.by_reply_token(conn, self.ctx.id, reply_token)
            except NotFound:
                raise IntentNotFound("there is no intent at this address") from None
        return self._intent(row.id, row)

    def open_for_offers(self, reply_token: str) -> Intent:
        """The intent a reply address belongs to, if it takes offers now."""
        intent = self.at_reply_token(reply_token)
        if not intent.takes_offers:
            raise IntentNotOpen(f"this intent is {intent.status}: it takes no offers")
        return intent

    def reply_url(self, reply_token: str) -> str:
        return self.ctx.base_url + REPLY_PATH + reply_token

    # -- internals -----------------------------------------------------------------------------

    def _move(
        self, intent_id: str, status: str, action: Action, *, allowed: tuple[str, ...]
    ) -> Intent:
        intent = self.get(intent_id)
        if intent.status not in allowed:
            raise IntentNotOpen(f"this intent is {intent.status}")
        now = self.ctx.clock()
        with self.ctx.store.begin() as conn:
            closed_at = now if status == "closed" else None
            if not rows.set_status(conn, self.ctx.id, intent_id, status, closed_at=closed_at):
                raise IntentNotOpen("this intent was closed meanwhile")
            self.ctx.record(conn, OWNER, action, Outcome.OK, resource=intent.path)
        return self.get(intent_id)

    def _intent(self, intent_id: str, row: rows.IntentRow | None) -> Intent:
        document = None
        if is_id(intent_id):
            document = self._document(intent_id)
        published = None
        reply_url = self.reply_url(row.reply_token) if row else None
        if document is not None:
            proffered = row.agreement if row and row.agreement else self._proffered_now()
            published = public_form(document, row.public_id if row else None, reply_url, proffered)
        status = row.status if row else "draft"
        if status in ("published", "paused") and (
            published is None or _offers_until(published) < self.ctx.clock().date()
        ):
            status = "closed"  # its document went, or its last day for offers passed
        return Intent(
            id=intent_id,
            status=status,
            published=published,
            public_id=row.public_id if row else None,
            reply_url=reply_url if status != "closed" else None,
            published_at=row.published_at if row else None,
            closed_at=row.closed_at if row else None,
        )

    def _proffered_now(self) -> str:
        """The IEEE 7012 agreement the customer proffers now (a draft tells it)."""
        with self.ctx.store.read() as conn:
            return preferred_id(pods.get(conn, self.ctx.id).settings)

    def _document(self, intent_id: str) -> tuple[Graph, URIRef] | None:
        try:
            document = self.ctx.documents.read(self.ctx.ref, PREFIX + intent_id)
        except ResourceNotFound:
            return None
        node = next(document.graph.subjects(RDF.type, PDS.Intent), None)
        return (document.graph, node) if isinstance(node, URIRef) else None

    def _warnings(self, published: dict[str, Any]) -> list[str]:
        """Words of the customer's profile (name, email, phone, street, postcode) found in what
        would be published: the customer may be giving themselves away."""
        try:
            profile = self.ctx.documents.read(self.ctx.ref, "/profile").graph
        except ResourceNotFound:
            return []
        text = " ".join(_texts(published)).casefold()
        found = []
        for predicate in PRIVATE_FIELDS:
            for value in profile.objects(None, predicate):
                words = str(value).strip().casefold()
                if len(words) >= 3 and words in text:
                    found.append(f"It contains your {_FIELD_WORDS[predicate]} ({value}).")
        return sorted(set(found))


_FIELD_WORDS = {
    SCHEMA.name: "name",
    SCHEMA.email: "email address",
    SCHEMA.telephone: "phone number",
    SCHEMA.streetAddress: "street address",
    SCHEMA.postalCode: "postcode",
}


def public_form(
    document: tuple[Graph, URIRef],
    public_id: str | None,
    reply_url: str | None,
    proffered: str | None = None,
) -> dict[str, Any]:
    """The intent as vendors see it: only these fields, lexical forms as the customer wrote.

    `proffered` is the IEEE 7012 agreement the customer proffers for what follows an offer
    they accept (a grant), beside PDC-INTENT under which the intent itself is published."""
    graph, node = document

    def one(subject: Node, predicate: URIRef) -> str | None:
        value = graph.value(subject, predicate)
        return str(value) if isinstance(value, Literal) else None

    category = graph.value(node, SCHEMA.category)
    out: dict[str, Any] = {
        "type": "Intent",
        "id": f"urn:pds:intent:{public_id}" if public_id else None,
        "name": one(node, SCHEMA.name),
        "category": category_of(str(category)) if isinstance(category, URIRef) else None,
        "description": one(node, SCHEMA.description),
        "must_have": sorted(str(v) for v in graph.objects(node, PDS.mustHave)),
        "budget": None,
        "near": None,
        "wanted_by": one(node, SCHEMA.availabilityEnds),
        "offers_until": one(node, SCHEMA.validThrough),
        "agreement": AGREEMENT,
        "reply_to": reply_url,
    }
    if proffered is not None:
        out["proffered_agreement"] = roster()[proffered].reference()
    if (price := graph.value(node, SCHEMA.priceSpecification)) is not None:
        out["budget"] = {
            "min": one(price, SCHEMA.minPrice),
            "max": one(price, SCHEMA.maxPrice),
            "currency": one(price, SCHEMA.priceCurrency),
        }
    if (near := graph.value(node, PDS.near)) is not None:
        out["near"] = {
            "locality": one(near, SCHEMA.addressLocality),
            "country": one(near, SCHEMA.addressCountry),
            "radius_km": one(near, PDS.radiusKm),
        }
    return out


def _graph(draft: IntentDraft, document_iri: str) -> Graph:
    graph = Graph()
    node = URIRef(document_iri + "#it")
    graph.add((node, RDF.type, PDS.Intent))

    def text(subject: Node, predicate: URIRef, value: str, datatype: URIRef | None = None) -> None:
        if value.strip():
            graph.add((subject, predicate, Literal(value.strip(), datatype=datatype)))

    text(node, SCHEMA.name, draft.name)
    if draft.category.strip():
        graph.add((node, SCHEMA.category, URIRef(draft.category.strip())))
    text(node, SCHEMA.description, draft.description)
    for item in draft.must_have:
        text(node, PDS.mustHave, item)
    if draft.max_price.strip() or draft.min_price.strip() or draft.currency.strip():
        price = URIRef(document_iri + "#budget")
        graph.add((node, SCHEMA.priceSpecification, price))
        text(price, SCHEMA.minPrice, draft.min_price, XSD.decimal)
        text(price, SCHEMA.maxPrice, draft.max_price, XSD.decimal)
        text(price, SCHEMA.priceCurrency, draft.currency.upper())
    if draft.locality.strip() or draft.country.strip() or draft.radius_km.strip():
        near = URIRef(document_iri + "#near")
        graph.add((node, PDS.near, near))
        text(near, SCHEMA.addressLocality, draft.locality)
        text(near, SCHEMA.addressCountry, draft.country.upper())
        text(near, PDS.radiusKm, draft.radius_km, XSD.decimal)
    text(node, SCHEMA.availabilityEnds, draft.wanted_by, XSD.date)
    text(node, SCHEMA.validThrough, draft.offers_until, XSD.date)
    return graph


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", text).lower())
    return "-".join(words)[:40].strip("-") or "intent"


def _offers_until(published: dict[str, Any]) -> dt.date:
    try:
        return dt.date.fromisoformat(published["offers_until"] or "")
    except ValueError:
        return dt.date.min  # no valid last day: it takes no offers


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []
