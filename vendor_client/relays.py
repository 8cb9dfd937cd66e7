"""Finding intents at an intent relay: read its feed, subscribe to pushed notices.

A relay carries customers' published intents by category and country, without saying whose
they are (docs/relay.md). A vendor reads the feed, or subscribes with a callback and verifies
each notice with the relay's keys; then it answers an intent with `send_offer`.

>>> relay = RelayClient("https://cars.relay.example", VendorKey.generate())  # doctest: +SKIP
>>> for intent in relay.intents(category="916", country="GB"):               # doctest: +SKIP
...     print(intent["name"], intent["budget"])
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import jwt
import requests

from vendor_client.errors import ProtocolError
from vendor_client.keys import VendorKey
from vendor_client.transport import call

SUBSCRIPTION_TYP = "relay-subscription+jwt"
UNSUBSCRIBE_TYP = "relay-unsubscribe+jwt"
NOTICE_TYP = "intent-notice+jwt"


class RelayClient:
    """A vendor's view of one intent relay."""

    def __init__(self, relay_url: str, key: VendorKey, *, timeout: float = 10.0):
        self.relay_url = relay_url.rstrip("/")
        self.key = key
        self.timeout = timeout
        self._etags: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        self._jwks: dict[str, Any] | None = None

    def intents(
        self, *, category: str | None = None, country: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every current intent of the feed matching a category (the taxonomy's number, its
        subcategories included) and a country, newest first, page after page. Pages that did
        not change since the last call are not downloaded again (ETag)."""
        params = {k: v for k, v in (("category", category), ("country", country)) if v}
        url: str | None = self.relay_url + "/feed"
        first = True
        while url:
            page = self._page(url, params if first else None)
            first = False
            yield from page.get("orderedItems", [])
            url = page.get("next")

    def subscribe(
        self, categories: list[str], callback: str, *, countries: list[str] | None = None
    ) -> str:
        """Ask for a notice at `callback` for each new intent in `categories` (numbers of the
        taxonomy) and `countries` (none: any). Returns the subscription id."""
        claims = {**self._claims(), "categories": categories, "countries": countries or []}
        claims["callback"] = callback
        response = self._call(
            "POST",
            self.relay_url + "/subscriptions",
            data=self.key.sign(claims, SUBSCRIPTION_TYP),
            headers={"Content-Type": "application/jwt"},
        )
        subscription: str = response.json()["id"]
        return subscription

    def cancel(self, subscription_id: str) -> None:
        """End a subscription: no more notices."""
        claims = {**self._claims(), "subscription": subscription_id}
        self._call(
            "POST",
            f"{self.relay_url}/subscriptions/{subscription_id}/cancel",
            data=self.key.sign(claims, UNSUBSCRIBE_TYP),
            headers={"Content-Type": "application/jwt"},
        )

    def verify_notice(self, body: str | bytes) -> dict[str, Any]:
        """The intent of a notice the relay pushed to our callback, once its signature (by the
        relay's key), `typ`, issuer and audience (our key) are checked."""
        token = body.decode("ascii") if isinstance(body, bytes) else body
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise ProtocolError(f"the notice is not a JWS: {exc}") from None
        if header.get("typ") != NOTICE_TYP:
            raise ProtocolError(f"the notice's typ is not {NOTICE_TYP}")
        key = self._relay_key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                audience=self.key.thumbprint,
                issuer=self.relay_url,
                options={"require": ["iss", "aud", "iat", "jti"]},
            )
        except jwt.InvalidTokenError as exc:
            raise ProtocolError(f"the notice does not verify: {exc}") from None
        intent: dict[str, Any] = claims["intent"]
        return intent

    # -- internals -----------------------------------------------------------------------------

    def _page(self, url: str, params: dict[str, str] | None) -> dict[str, Any]:
        cache_key = url + repr(sorted((params or {}).items()))
        headers = {"Accept": "application/activity+json"}
        if cache_key in self._etags:
            headers["If-None-Match"] = self._etags[cache_key][0]
        response = self._call("GET", url, params=params, headers=headers)
        if response.status_code == 304:
            return {"orderedItems": self._etags[cache_key][1], "next": None}
        page: dict[str, Any] = response.json()
        if response.headers.get("ETag"):
            self._etags[cache_key] = (response.headers["ETag"], page.get("orderedItems", []))
        return page

    def _relay_key(self, kid: Any) -> Any:
        for refresh in (False, True):  # an unknown kid: fetch the keys again, once
            if self._jwks is None or refresh:
                self._jwks = self._call("GET", self.relay_url + "/.well-known/jwks.json").json()
            for jwk in self._jwks.get("keys", []):
                if jwk.get("kid") == kid:
                    return jwt.PyJWK(jwk).key
        raise ProtocolError(f"the relay has no key {kid!r}")

    def _claims(self) -> dict[str, Any]:
        now = int(time.time())
        return {
            "aud": self.relay_url,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
        }

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        return call(method, url, self.timeout, to="the relay", **kwargs)
