"""The relay's HTTP interface (docs/relay.md): discovery, announcements, the feed,
subscriptions and replies. Handlers parse the request, call the use case, shape the answer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, json, request

from pds.consent.jose import ALGORITHMS
from pds.relay import feed, protocol, taxonomy
from pds.relay.errors import InvalidJWS, TooLarge, UnsupportedMediaType
from pds.relay.keys import JWKS_MAX_AGE
from pds.relay.limits import network
from pds.relay.replies import RelayedAnswer, Replies
from pds.relay.service import Relay

bp = Blueprint("relay", __name__)
PUBLIC = {"Access-Control-Allow-Origin": "*"}  # anonymous, public documents
CACHED = {**PUBLIC, "Cache-Control": f"public, max-age={JWKS_MAX_AGE}"}


def relay() -> Relay:
    found: Relay = current_app.extensions["pds.relay"]
    return found


def client() -> str:
    return network(request.remote_addr)


def signed_body() -> str:
    """The compact JWS in the body: application/jwt, at most MAX_BODY bytes, ASCII."""
    body = bounded_body()
    try:
        return body.decode("ascii").strip()
    except UnicodeDecodeError:
        raise InvalidJWS("not a compact JWS: the body must be ASCII") from None


def bounded_body() -> bytes:
    """The body, refused past the limit whether or not it declared its length (a chunked
    body is read one byte past the limit), and refused unless it is application/jwt."""
    if request.mimetype != protocol.JWT_MEDIA_TYPE:
        raise UnsupportedMediaType(
            "send the signed request as application/jwt",
            headers={"Accept-Post": protocol.JWT_MEDIA_TYPE},
        )
    limit = protocol.MAX_BODY
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"the body is larger than the relay accepts ({limit} bytes)")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise TooLarge(f"the body is larger than the relay accepts ({limit} bytes)")
    return body


def json_response(
    value: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    response = Response(json.dumps(value), status=status, mimetype="application/json")
    response.headers.update(headers or {})
    return response


def no_content() -> Response:
    response = Response(status=204, headers={"Cache-Control": "no-store"})
    del response.headers["Content-Type"]
    return response


# -- discovery ---------------------------------------------------------------------------------


@bp.get("/.well-known/intent-relay")
def discovery() -> Response:
    r = relay()
    base, limits = r.base_url, r.limits
    document = {
        "relay": base,
        "protocol_version": protocol.PROTOCOL_VERSION,
        "announcement_endpoint": f"{base}/announcements",
        "feed_endpoint": f"{base}/feed",
        "subscription_endpoint": f"{base}/subscriptions",
        "categories_endpoint": f"{base}/categories",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "signing_alg_values_supported": list(ALGORITHMS),
        "notice_signing_alg": "EdDSA",
        "typ_values": {
            "announcement": protocol.ANNOUNCEMENT_TYP,
            "withdrawal": protocol.WITHDRAWAL_TYP,
            "subscription": protocol.SUBSCRIPTION_TYP,
            "cancellation": protocol.UNSUBSCRIBE_TYP,
            "notice": protocol.NOTICE_TYP,
            "offer": protocol.OFFER_TYP,
            "message": protocol.MESSAGE_TYP,
        },
        "intent_members": list(protocol.INTENT_MEMBERS),
        "category_scheme": "https://w3id.org/vrm-pod/categories/google-product-taxonomy",
        "private_addresses_allowed": r.allow_private,
        "limits": {
            "body_bytes": protocol.MAX_BODY,
            "jws_lifetime_seconds": protocol.MAX_LIFETIME,
            "clock_leeway_seconds": protocol.LEEWAY,
            "offers_until_days_ahead": protocol.MAX_DAYS_AHEAD,
            "page_size": limits.page_size,
            "max_page": limits.max_page,
            "announcements_per_network_per_hour": limits.announcements_per_network,
            "subscriptions_per_key": limits.subscriptions_per_key,
            "subscriptions_per_network_per_hour": limits.subscriptions_per_network,
            "subscription_days": limits.subscription_days,
            "subscription_categories": protocol.MAX_CATEGORIES,
            "subscription_countries": protocol.MAX_COUNTRIES,
            "offers_per_network_per_reply_address_per_hour": limits.offers_per_network,
            "polls_per_network_per_reply_address_per_hour": limits.polls_per_network,
            "messages_per_network_per_reply_address_per_hour": limits.messages_per_network,
            "thread_reads_per_network_per_reply_address_per_hour": (
                limits.thread_reads_per_network
            ),
        },
    }
    return json_response(document, headers=CACHED)


@bp.get("/categories")
def categories() -> Response:
    """The categories intents may name, for filters and subscriptions."""
    listed = [
        {"notation": c.notation, "id": c.iri, "name": c.name, "path": c.path}
        for c in taxonomy.every_category()
    ]
    return json_response({"categories": listed}, headers=CACHED)


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    return json_response(relay().key.jwks(), headers=CACHED)


# -- pods --------------------------------------------------------------------------------------


@bp.post("/announcements")
def announce() -> Response:
    r = relay()
    announced = r.announce(signed_body(), client())
    body = {
        "id": announced.id,
        "reply_to": announced.reply_to,
        "withdraw_url": announced.withdraw_url,
        "expires_at": announced.expires_at.isoformat(timespec="seconds"),
    }
    return json_response(body, 201, {"Cache-Control": "no-store"})


@bp.post("/announcements/<announcement_id>/withdraw")
def withdraw(announcement_id: str) -> Response:
    relay().withdraw(announcement_id, signed_body())
    return no_content()


# -- vendors -----------------------------------------------------------------------------------


@bp.get("/feed")
def intent_feed() -> Response:
    r = relay()
    args = {name: request.args.getlist(name) for name in request.args}
    notation, country, page = feed.parse_query(args, r.limits.max_page)
    data, etag = feed.render(r.base_url, notation, country, r.feed(notation, country, page))
    headers = {"ETag": etag, "Cache-Control": "no-cache", **PUBLIC}
    if feed.matches(request.headers.get("If-None-Match"), etag):
        return Response(status=304, headers=headers)
    return Response(data, mimetype=feed.MEDIA_TYPE, headers=headers)


@bp.post("/subscriptions")
def subscribe() -> Response:
    subscribed = relay().subscribe(signed_body(), client())
    body = {
        "id": subscribed.id,
        "vendor_id": subscribed.vendor_id,
        "categories": list(subscribed.categories),
        "countries": list(subscribed.countries),
        "callback": subscribed.callback,
        "expires_at": subscribed.expires_at.isoformat(timespec="seconds"),
        "cancel_url": subscribed.cancel_url,
    }
    return json_response(body, 201, {"Cache-Control": "no-store"})


@bp.post("/subscriptions/<subscription_id>/cancel")
def cancel(subscription_id: str) -> Response:
    relay().cancel(subscription_id, signed_body())
    return no_content()


# -- replies -----------------------------------------------------------------------------------


@bp.post("/replies/<token>")
def send_offer(token: str) -> Response:
    return relayed(Replies(relay()).send_offer(token, bounded_body(), client()))


@bp.get("/replies/<token>/offers/<offer_id>")
def offer_status(token: str, offer_id: str) -> Response:
    proofs = request.headers.getlist("DPoP")
    return relayed(Replies(relay()).poll(token, offer_id, proofs, client()))


@bp.get("/replies/<token>/offers/<offer_id>/thread")
def offer_thread(token: str, offer_id: str) -> Response:
    proofs = request.headers.getlist("DPoP")
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None and (len(if_none_match) > 256 or not if_none_match.isascii()):
        if_none_match = None  # not one of the pod's ETags: read the whole thread
    before = request.args.get("before")
    answer = Replies(relay()).read_thread(token, offer_id, proofs, client(), if_none_match, before)
    return relayed(answer)


@bp.post("/replies/<token>/offers/<offer_id>/thread")
def offer_message(token: str, offer_id: str) -> Response:
    return relayed(Replies(relay()).send_message(token, offer_id, bounded_body(), client()))


def relayed(answer: RelayedAnswer) -> Response:
    response = Response(answer.body, status=answer.status, mimetype=answer.media_type)
    response.headers.update(answer.headers)
    response.headers.setdefault("Cache-Control", "no-store")
    return response
