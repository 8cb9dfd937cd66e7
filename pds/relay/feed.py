"""The feed as vendors read it: an ActivityStreams 2.0 OrderedCollectionPage of current
intents (docs/relay.md §5), with a strong ETag over its exact bytes."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from pds.relay import protocol, taxonomy
from pds.relay.errors import InvalidQuery
from pds.relay.service import FeedPage

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
MEDIA_TYPE = "application/activity+json"
PARAMETERS = ("category", "country", "page")


def parse_query(args: dict[str, list[str]], max_page: int) -> tuple[str | None, str | None, int]:
    """(category notation, country, page) from the query; InvalidQuery says what is wrong."""
    unknown = sorted(set(args) - set(PARAMETERS))
    if unknown:
        raise InvalidQuery(
            f"unknown query parameter(s): {', '.join(unknown)}; the feed takes "
            + ", ".join(PARAMETERS)
        )
    for name, values in args.items():
        if len(values) != 1:
            raise InvalidQuery(f"give {name} once")
    notation = args.get("category", [None])[0]
    if notation is not None and taxonomy.category(notation) is None:
        raise InvalidQuery(
            f"category {notation!r} is not a category notation this relay knows: see "
            "its categories_endpoint"
        )
    country = args.get("country", [None])[0]
    if country is not None and not protocol.COUNTRY.fullmatch(country):
        raise InvalidQuery(
            f"country {country!r} is not a country code: two capital letters, like GB"
        )
    raw_page = args.get("page", ["1"])[0]
    digits = raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 6
    if not (digits and 1 <= int(raw_page) <= max_page):
        raise InvalidQuery(f"page is a whole number from 1 to {max_page}")
    return notation, country, int(raw_page)


def render(
    base_url: str, notation: str | None, country: str | None, page: FeedPage
) -> tuple[bytes, str]:
    """The page's JSON bytes and its strong ETag."""
    filters = {k: v for k, v in (("category", notation), ("country", country)) if v is not None}

    def url(number: int | None = None) -> str:
        query = urlencode({**filters, "page": number} if number else filters)
        return f"{base_url}/feed" + (f"?{query}" if query else "")

    body: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "type": "OrderedCollectionPage",
        "id": url(page.page),
        "partOf": url(),
        "totalItems": page.total,
        "startIndex": page.start_index,
        "orderedItems": page.items,
    }
    if page.page > 1:
        body["prev"] = url(min(page.page - 1, page.last_page))
    if page.page < page.last_page:
        body["next"] = url(page.page + 1)
    data = json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether If-None-Match names this ETag (RFC 9110 §13.1.2: weak comparison)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False
