"""The relay's wire rules (docs/relay.md): signed requests, the announced intent, subscriptions
and the addresses the relay may send to. Pure functions of their inputs and the clock.

Signed requests follow the JWT BCP (RFC 8725): the `typ` is checked first (§3.11), the
algorithm is taken from the relay's allow-list and must fit the key (§3.1), and the key is the
public JWK in the header (RFC 7515 §4.1.3), whose RFC 7638 thumbprint names the signer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from pds.consent import jose
from pds.consent.callbacks import names_private_host
from pds.consent.errors import InvalidInput
from pds.relay import taxonomy
from pds.relay.errors import (
    InvalidClaims,
    InvalidIntent,
    InvalidJWS,
    InvalidSubscription,
    RefusedAddress,
)
from pds.relay.taxonomy import Category

PROTOCOL_VERSION = "2026-12"
ANNOUNCEMENT_TYP = "intent-announcement+jwt"
WITHDRAWAL_TYP = "intent-withdrawal+jwt"
SUBSCRIPTION_TYP = "relay-subscription+jwt"
UNSUBSCRIBE_TYP = "relay-unsubscribe+jwt"
NOTICE_TYP = "intent-notice+jwt"
OFFER_TYP = "pds-offer+jwt"  # protocol §14.2: forwarded, never verified here
MESSAGE_TYP = "pds-message+jwt"  # protocol §15: forwarded, never verified here
JWT_MEDIA_TYPE = "application/jwt"

MAX_BODY = 16384  # bytes of any signed request, and of a forwarded offer
MAX_LIFETIME = 600  # seconds from iat to exp
LEEWAY = 30  # seconds of clock skew allowed on iat and exp
MAX_URL = 2048
MAX_DAYS_AHEAD = 366  # offers_until at most this many days after today
MAX_CATEGORIES = 20
MAX_COUNTRIES = 50

INTENT_MEMBERS = (
    "type",
    "id",
    "name",
    "category",
    "description",
    "must_have",
    "budget",
    "near",
    "wanted_by",
    "offers_until",
    "agreement",
    "proffered_agreement",
)
AGREEMENT_MEMBERS = ("id", "title", "standard", "roster", "url")
# The agreement the customer proffers for what follows an accepted offer: any roster id.
PROFFERED_MEMBERS = ("id", "title", "iri", "url", "standard", "roster")
_AGREEMENT_ID = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)*")
_INTENT_ID = re.compile(r"urn:pds:intent:[A-Za-z0-9_-]{8,64}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"\+?([0-9]{1,15}(\.[0-9]{0,6})?|\.[0-9]{1,6})")
_CURRENCY = re.compile(r"[A-Z]{3}")
COUNTRY = re.compile(r"[A-Z]{2}")
_JTI = re.compile(r"[\x21-\x7e]{8,128}")  # printable ASCII, no spaces


@dataclasses.dataclass(frozen=True)
class SignedRequest:
    """A signed request whose signature, audience and lifetime have been checked."""

    typ: str
    claims: dict[str, Any]
    key_thumbprint: str  # RFC 7638, base64url SHA-256: who signed it
    expires_at: dt.datetime

    @property
    def replay_hash(self) -> str:
        """What the relay remembers to accept this request once (typ, key and jti)."""
        seen = f"{self.typ} {self.key_thumbprint} {self.claims['jti']}"
        return hashlib.sha256(seen.encode()).hexdigest()


def verify_signed(token: str, typ: str, audience: str, now: dt.datetime) -> SignedRequest:
    """Check a compact JWS made for the relay: `typ`, key, signature, then `aud`, `iat`, `exp`
    and `jti` (docs/relay.md §3)."""
    try:
        jws = jose.parse_compact(token)
    except InvalidInput as exc:
        raise InvalidJWS(str(exc)) from None
    except RecursionError:
        raise InvalidJWS("not a compact JWS: its JSON is nested too deeply") from None
    header = jws.header
    if header.get("typ") != typ:
        raise InvalidJWS(f"the JWS typ header must be {typ!r}, not {header.get('typ')!r}")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise InvalidJWS("the JWS header must carry the signer's public key (jwk)")
    try:
        key = jose.public_key(jwk, header.get("alg"))
        thumbprint = jose.thumbprint(jwk)
        jose.verify_signature(jws, key, header["alg"])
    except InvalidInput as exc:
        raise InvalidJWS(f"the JWS cannot be verified: {exc}") from None
    claims = jws.payload
    for name in ("aud", "iat", "exp", "jti"):
        if name not in claims:
            raise InvalidClaims(f"the claim {name!r} is required")
    if claims["aud"] != audience:
        raise InvalidClaims(f"aud must be this relay's base URL, {audience!r}")
    iat, exp = claims["iat"], claims["exp"]
    if not (_is_time(iat) and _is_time(exp)):
        raise InvalidClaims("iat and exp must be NumericDates (seconds since 1970)")
    stamp = now.timestamp()
    if iat > stamp + LEEWAY:
        raise InvalidClaims("iat is in the future: check the signer's clock")
    if exp < stamp - LEEWAY:
        raise InvalidClaims("the JWS has expired (exp): sign a new one")
    if not 0 < exp - iat <= MAX_LIFETIME:
        raise InvalidClaims(f"exp must be after iat, by at most {MAX_LIFETIME} seconds")
    if not isinstance(claims["jti"], str) or not _JTI.fullmatch(claims["jti"]):
        raise InvalidClaims("jti must be a unique string of 8 to 128 printable characters")
    expires_at = dt.datetime.fromtimestamp(max(exp, stamp) + LEEWAY, dt.UTC)
    return SignedRequest(typ, claims, thumbprint, expires_at)


def _is_time(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 2**36


# -- the intent --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AnnouncedIntent:
    """An intent that fits docs/relay.md §4.2, and what the relay files it under."""

    body: dict[str, Any]  # exactly as announced, without reply_to
    category: Category
    country: str | None
    expires_at: dt.datetime  # the end of offers_until, UTC

    @property
    def id(self) -> str:
        return str(self.body["id"])


def check_intent(raw: object, now: dt.datetime) -> AnnouncedIntent:
    """The `intent` claim of an announcement: the published intent of protocol §14.1 with no
    `reply_to`, every member known and bounded."""
    if not isinstance(raw, dict):
        raise InvalidIntent("intent must be the published intent object (protocol §14.1)")
    if "reply_to" in raw:
        raise InvalidIntent("leave reply_to out of the intent: the relay gives vendors its own")
    unknown = sorted(set(raw) - set(INTENT_MEMBERS))
    if unknown:
        raise InvalidIntent(f"unknown intent member(s): {', '.join(unknown)}")
    if raw.get("type") != "Intent":
        raise InvalidIntent('intent type must be "Intent"')
    if not isinstance(raw.get("id"), str) or not _INTENT_ID.fullmatch(raw["id"]):
        raise InvalidIntent("intent id must be urn:pds:intent: and 8 to 64 base64url characters")
    _text(raw.get("name"), "name", 1, 200)
    category = _category(raw.get("category"))
    _text(raw.get("description"), "description", 0, 2000, optional=True, lines=True)
    must_have = raw.get("must_have", [])
    if not isinstance(must_have, list) or len(must_have) > 50:
        raise InvalidIntent("must_have must be a list of at most 50 texts")
    for item in must_have:
        _text(item, "each must_have", 1, 200)
    _budget(raw.get("budget"))
    country = _near(raw.get("near"))
    if raw.get("wanted_by") is not None:
        _date(raw["wanted_by"], "wanted_by")
    offers_until = _date(raw.get("offers_until"), "offers_until")
    today = now.astimezone(dt.UTC).date()
    if offers_until < today:
        raise InvalidIntent("offers_until has passed: the intent takes no more offers")
    if offers_until > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidIntent(f"offers_until is at most {MAX_DAYS_AHEAD} days from today")
    _agreement(raw.get("agreement"))
    _proffered_agreement(raw.get("proffered_agreement"))
    end = dt.datetime.combine(offers_until + dt.timedelta(days=1), dt.time(), dt.UTC)
    return AnnouncedIntent(dict(raw), category, country, end)


def _category(raw: object) -> Category:
    if not isinstance(raw, dict):
        raise InvalidIntent("category must be an object with id, notation, name and path")
    found = taxonomy.category(raw.get("notation"))
    if found is None:
        raise InvalidIntent(f"category notation {raw.get('notation')!r} is not in the list")
    if raw.get("id") != found.iri:
        raise InvalidIntent(f"category {found.notation} has the id {found.iri!r}")
    unknown = sorted(set(raw) - {"id", "notation", "name", "path"})
    if unknown:
        raise InvalidIntent(f"unknown category member(s): {', '.join(unknown)}")
    _text(raw.get("name"), "category name", 1, 300)
    _text(raw.get("path"), "category path", 1, 1000)
    return found


def _budget(raw: object) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict) or set(raw) - {"min", "max", "currency"}:
        raise InvalidIntent("budget is null or an object with min, max and currency")
    for bound in ("min", "max"):
        value = raw.get(bound)
        if value is not None and (not isinstance(value, str) or not _DECIMAL.fullmatch(value)):
            raise InvalidIntent(f"budget {bound} must be null or a decimal as text, like 15000")
    currency = raw.get("currency")
    if currency is not None and (
        not isinstance(currency, str) or not _CURRENCY.fullmatch(currency)
    ):
        raise InvalidIntent("budget currency must be null or three capital letters, like GBP")


def _near(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"locality", "country", "radius_km"}:
        raise InvalidIntent("near is null or an object with locality, country and radius_km")
    _text(raw.get("locality"), "near locality", 1, 100, optional=True)
    radius = raw.get("radius_km")
    if radius is not None and (not isinstance(radius, str) or not _DECIMAL.fullmatch(radius)):
        raise InvalidIntent("near radius_km must be null or a decimal as text, like 50")
    country = raw.get("country")
    if country is not None and (not isinstance(country, str) or not COUNTRY.fullmatch(country)):
        raise InvalidIntent("near country must be null or two capital letters, like GB")
    return country


def _agreement(raw: object) -> None:
    if not isinstance(raw, dict) or raw.get("id") != "PDC-INTENT":
        raise InvalidIntent('agreement must be the IEEE 7012 agreement with id "PDC-INTENT"')
    unknown = sorted(set(raw) - set(AGREEMENT_MEMBERS))
    if unknown:
        raise InvalidIntent(f"unknown agreement member(s): {', '.join(unknown)}")
    for name in AGREEMENT_MEMBERS[1:]:
        _text(raw.get(name), f"agreement {name}", 1, 300, optional=True)


def _proffered_agreement(raw: object) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise InvalidIntent("proffered_agreement is null or an object with an IEEE 7012 id")
    if len(raw["id"]) > 40 or not _AGREEMENT_ID.fullmatch(raw["id"]):
        raise InvalidIntent("proffered_agreement id must be a roster id, like SD-BASE")
    unknown = sorted(set(raw) - set(PROFFERED_MEMBERS))
    if unknown:
        raise InvalidIntent(f"unknown proffered_agreement member(s): {', '.join(unknown)}")
    for name in PROFFERED_MEMBERS[1:]:
        _text(raw.get(name), f"proffered_agreement {name}", 1, 300, optional=True)


def _text(
    value: object, what: str, low: int, high: int, *, optional: bool = False, lines: bool = False
) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise InvalidIntent(f"{what} must be text of {low} to {high} characters")
    allowed = "\n\t" if lines else ""
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in value):
        raise InvalidIntent(f"{what} cannot contain control characters")


def _date(value: object, what: str) -> dt.date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise InvalidIntent(f"{what} must be a date, such as 2027-01-31")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidIntent(f"{what} is not a real date: {value}") from None


# -- subscriptions -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SubscriptionFilter:
    categories: tuple[str, ...]  # notations
    countries: tuple[str, ...]  # empty: any country


def check_subscription(claims: dict[str, Any]) -> SubscriptionFilter:
    """`categories` (1 to 20 notations) and `countries` (0 to 50 codes) of a subscription."""
    categories = claims.get("categories")
    if not isinstance(categories, list) or not 1 <= len(categories) <= MAX_CATEGORIES:
        raise InvalidSubscription(f"categories is a list of 1 to {MAX_CATEGORIES} notations")
    for notation in categories:
        if taxonomy.category(notation) is None:
            raise InvalidSubscription(f"category notation {notation!r} is not in the list")
    countries = claims.get("countries", [])
    if not isinstance(countries, list) or len(countries) > MAX_COUNTRIES:
        raise InvalidSubscription(f"countries is a list of at most {MAX_COUNTRIES} country codes")
    for code in countries:
        if not isinstance(code, str) or not COUNTRY.fullmatch(code):
            raise InvalidSubscription(f"{code!r} is not a country code: two capital letters")
    return SubscriptionFilter(tuple(dict.fromkeys(categories)), tuple(dict.fromkeys(countries)))


# -- addresses ---------------------------------------------------------------------------------


def check_address(raw: object, what: str, *, allow_private: bool, base: bool) -> str:
    """A `forward_to` (`base`: offers' status URLs are made by appending to it) or `callback`
    the relay may send to (docs/relay.md §10): https, no credentials, no fragment, and no host
    that names this machine or a private network by itself. Resolved again at each use."""
    if not isinstance(raw, str) or not 0 < len(raw) <= MAX_URL:
        raise RefusedAddress(f"{what} must be a URL of at most {MAX_URL} characters")
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError as exc:
        raise RefusedAddress(f"{what} is not a valid URL: {exc}") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise RefusedAddress(f"{what} must be an https URL with a host and no credentials")
    if any(c in raw for c in ' \\"<>^`{|}') or any(ord(c) < 0x21 or ord(c) > 0x7E for c in raw):
        raise RefusedAddress(f"{what} must be written in printable ASCII, without spaces")
    if "#" in raw:
        raise RefusedAddress(f"{what} must not have a fragment")
    if base and ("?" in raw or raw.endswith("/")):
        raise RefusedAddress(f"{what} must have no query and must not end with /")
    if not allow_private and names_private_host(parts.hostname):
        raise RefusedAddress(f"{what} must not point to this machine or a private network")
    return raw
