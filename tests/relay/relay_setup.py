"""What the relay tests are made of: a clock the tests move, pods' and vendors' signed
requests, a relay on loopback, a fake pod that records what reaches it, and a vendor's
callback receiver."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
import sqlalchemy as sa
from flask import Flask, Response, request
from werkzeug.serving import make_server

from pds.relay import RelayLimits, create_relay_app
from pds.relay import tables as relay_tables
from vendor_client import VendorKey

CAR = {
    "id": "https://w3id.org/vrm-pod/categories/gpt-916",
    "notation": "916",
    "name": "Cars, Trucks & Vans",
    "path": "Vehicles & Parts > Vehicles > Motor Vehicles > Cars, Trucks & Vans",
}
LAPTOP = {
    "id": "https://w3id.org/vrm-pod/categories/gpt-328",
    "notation": "328",
    "name": "Laptops",
    "path": "Electronics > Computers > Laptops",
}
AGREEMENT = {
    "id": "PDC-INTENT",
    "roster": "Customer Commons",
    "standard": "IEEE 7012-2025",
    "title": "Personal data contribution: intentcasting",
}
JWT = {"Content-Type": "application/jwt"}


class Clock:
    """The relay's clock: now, unless a test moves it."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)

    @property
    def stamp(self) -> int:
        return int(self.now.timestamp())


def intent(clock: Clock, *, category=CAR, country: str | None = "GB", **changes) -> dict:
    """A published intent as protocol §14.1 has it, without reply_to."""
    body = {
        "type": "Intent",
        "id": "urn:pds:intent:" + secrets.token_urlsafe(16),
        "name": "A small reliable car",
        "category": category,
        "description": "Five doors, low running costs, for town driving and the odd trip.",
        "must_have": ["automatic gearbox", "full service history"],
        "budget": {"currency": "GBP", "max": "15000", "min": None},
        "near": {"country": country, "locality": "Leeds", "radius_km": "50"} if country else None,
        "wanted_by": (clock.now.date() + dt.timedelta(days=90)).isoformat(),
        "offers_until": (clock.now.date() + dt.timedelta(days=30)).isoformat(),
        "agreement": AGREEMENT,
    }
    body.update(changes)
    return body


def signed(key: VendorKey, typ: str, audience: str, clock: Clock, **claims: Any) -> str:
    """A JWS as pods and vendors make them; `claims` may replace any of the usual ones."""
    now = clock.stamp
    base = {"aud": audience, "iat": now, "exp": now + 300, "jti": secrets.token_urlsafe(12)}
    return key.sign({**base, **claims}, typ)


# -- servers on loopback -----------------------------------------------------------------------


class RealTime(Clock):
    """The relay's clock follows the real one: for tests where a real pod signs with the real
    time."""

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class Loopback:
    """A WSGI app behind werkzeug's threaded server on 127.0.0.1, on a free port."""

    def __init__(self, app: Callable | None = None) -> None:
        self._app = app
        self.server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def serve(self, app: Callable) -> None:
        self._app = app
        self.thread.start()

    def _dispatch(self, environ, start_response):
        assert self._app is not None
        return self._app(environ, start_response)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class LiveRelay(Loopback):
    """The real relay app on loopback, with its database open to the test."""

    def __init__(self, store_url: str, clock: Clock, *, allow_private: bool, limits=None):
        super().__init__()
        self.clock = clock
        self.store_url = store_url
        self.app = create_relay_app(
            store_url,
            self.url,
            allow_private_callbacks=allow_private,
            clock=clock,
            limits=limits or RelayLimits(),
        )
        self.relay = self.app.extensions["pds.relay"]
        self.serve(self.app)

    def rows(self, table: str) -> list[dict]:
        """What the relay keeps in one of its tables, as the database has it."""
        with self.relay.store.engine.connect() as conn:
            found = conn.execute(sa.select(relay_tables.metadata.tables[table]))
            return [dict(r._mapping) for r in found]

    def stop(self) -> None:
        super().stop()
        self.relay.close()

    # pods and vendors, as a test writes them

    def announce(
        self, key: VendorKey, body: dict, forward_to: str, **claims: Any
    ) -> requests.Response:
        token = signed(
            key,
            "intent-announcement+jwt",
            self.url,
            self.clock,
            intent=body,
            forward_to=forward_to,
            **claims,
        )
        return requests.post(f"{self.url}/announcements", data=token, headers=JWT, timeout=10)

    def withdraw(self, key: VendorKey, announcement_id: str, **claims: Any) -> requests.Response:
        token = signed(
            key,
            "intent-withdrawal+jwt",
            self.url,
            self.clock,
            announcement=announcement_id,
            **claims,
        )
        url = f"{self.url}/announcements/{announcement_id}/withdraw"
        return requests.post(url, data=token, headers=JWT, timeout=10)

    def subscribe(
        self, key: VendorKey, categories: list, callback: str, countries=None, **claims: Any
    ) -> requests.Response:
        fields: dict[str, Any] = {"categories": categories, "callback": callback, **claims}
        if countries is not None:
            fields["countries"] = countries
        token = signed(key, "relay-subscription+jwt", self.url, self.clock, **fields)
        return requests.post(f"{self.url}/subscriptions", data=token, headers=JWT, timeout=10)

    def feed(self, **query: str) -> requests.Response:
        return requests.get(f"{self.url}/feed", params=query, timeout=10)


@dataclasses.dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FakePod(Loopback):
    """A pod's reply address as the relay sees it: it records what reaches it and answers
    like a pod (protocol §14.2, §14.3), or as a test tells it to."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[Received] = []
        self.offer_answer: tuple[int, dict, dict] | None = None  # status, body, headers
        self.delay = 0.0
        app = Flask("fake-pod")

        @app.post("/replies/<token>")
        def offer(token: str):
            self._record()
            time.sleep(self.delay)
            if self.offer_answer is not None:
                status, body, headers = self.offer_answer
                return Response(json.dumps(body), status, headers)
            offer_id = secrets.token_urlsafe(16)
            status_url = f"{self.url}/replies/{token}/offers/{offer_id}"
            body = {"id": offer_id, "status": "received", "status_url": status_url}
            return body, 202, {"Location": status_url}

        @app.get("/replies/<token>/offers/<offer_id>")
        def status(token: str, offer_id: str):
            self._record()
            if not request.headers.get("DPoP"):
                return Response(
                    json.dumps({"status": 401, "title": "Invalid DPoP proof"}),
                    401,
                    {"Content-Type": "application/problem+json", "WWW-Authenticate": "DPoP"},
                )
            body = {"id": offer_id, "status": "received", "access_request": None}
            return body, 200, {"Retry-After": "30", "Cache-Control": "no-store"}

        self.serve(app)

    def reply_address(self) -> str:
        return f"{self.url}/replies/{secrets.token_urlsafe(32)}"

    def _record(self) -> None:
        self.received.append(
            Received(request.method, request.path, dict(request.headers), request.get_data())
        )


class Receiver(Loopback):
    """A vendor's callback: it keeps every notice POSTed to it."""

    def __init__(self) -> None:
        super().__init__()
        self.notices: list[Received] = []
        self.answer = 204
        app = Flask("receiver")

        @app.post("/relay-notices")
        def notice():
            self.notices.append(
                Received(request.method, request.path, dict(request.headers), request.get_data())
            )
            return "", self.answer

        self.serve(app)

    @property
    def callback(self) -> str:
        return f"{self.url}/relay-notices"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.notices) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.notices)
