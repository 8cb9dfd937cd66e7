"""Benchmark of the personal RFP: offer and message intake into one pod, and intent fan-out at a
relay.

    .venv/bin/python bench/rfp.py                 # one round
    .venv/bin/python bench/rfp.py --repeat 3      # three rounds (fresh servers), then medians

Offer intake: a pod (`pds serve --workers 2`, SQLite) with 10 published intents takes 2,000
signed offers (each from its own vendor key and network, as the pod's caps expect: 3 an hour
per key and intent, 20 per network, 200 per intent), sent by 32 concurrent clients. The same
requests then go to bench/bare_app.py (the same serving model, no checks): the ratio is
the cost of verifying, bounding and storing an offer.

Message intake: 100 of those vendors then write 20 signed messages each into the thread about
their offer (2,000 messages, 32 concurrent clients); the same to the bare app.

Fan-out: a relay (`pds relay --workers 2`) with 100 vendors subscribed to cars in GB (each its
own key and network) takes 20 announcements, one after another; for each, the time until all
100 notices reached the vendors' callbacks. The same announcements then go to the bare app:
the ratio is the cost of checking and storing an announcement.

All traffic is on 127.0.0.1. The load comes from this process (threads): compare the ratios of
one run, not absolute figures with bench/run.py's wrk.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import datetime as dt
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from common import ENV, HERE, BenchError, log
from servers import PDS, Pod, free_port, stop, wait_until_up
from werkzeug.serving import WSGIRequestHandler, make_server

from vendor_client import VendorKey

OFFERS, INTENTS, CONCURRENCY = 2000, 10, 32
WRITERS, MESSAGES_EACH = 100, 20  # under the pod's cap of 30 messages an hour per key
VENDORS, ANNOUNCEMENTS = 100, 20
JWT = "application/jwt"
CAR = "https://w3id.org/vrm-pod/categories/gpt-916"


def address(n: int) -> str:
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def send_all(requests_: list[tuple[str, bytes, dict]]) -> tuple[float, list[float], int]:
    """POST every (url, body, headers) with CONCURRENCY threads: (seconds, latencies, not 2xx)."""
    local = threading.local()

    def one(item: tuple[str, bytes, dict]) -> tuple[float, int]:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        url, body, headers = item
        started = time.perf_counter()
        status = session.post(url, data=body, headers=headers, timeout=30).status_code
        return time.perf_counter() - started, status

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(one, requests_))
    elapsed = time.perf_counter() - started
    return elapsed, [r[0] for r in results], sum(1 for r in results if not 200 <= r[1] < 300)


class BareApp:
    """bench/bare_app.py under gunicorn, as the pod is served."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_file = workdir / "bare.log"
        with self.log_file.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(HERE / "bare_app.py"), "--port", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=ENV,
            )  # fmt: skip
        wait_until_up(self.base + "/up", self.proc, self.log_file)


def offer_intake(workdir: Path) -> dict[str, float]:
    pod = Pod("sqlite", workdir, 2)
    ENV["PDS_TRUSTED_PROXIES"] = "1"  # each offer from its own network, as X-Forwarded-For says
    pod.start()
    bare = None
    try:
        owner = pod.claim()
        until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
        published = []
        for i in range(INTENTS):
            draft = {"name": f"A small car {i}", "category": CAR, "offers_until": until}
            made = owner.post(f"{pod.base}/owner/intents", json=draft, timeout=30).json()
            answer = owner.post(f"{pod.base}/owner/intents/{made['id']}/publish", timeout=30)
            published.append(answer.json()["published"])
        log(f"offers: signing {OFFERS} offers for {INTENTS} intents")
        items, keys = [], [VendorKey.generate() for _ in range(OFFERS)]
        for n in range(OFFERS):
            intent = published[n % INTENTS]
            now = int(time.time())
            claims = {
                "aud": intent["reply_to"], "iat": now, "exp": now + 600,
                "jti": secrets.token_urlsafe(16), "intent": intent["id"],
                "vendor": {"name": f"Dealer {n}"},
                "offer": {"summary": "A 2019 hatchback, automatic.",
                          "price": {"amount": "12999.00", "currency": "GBP"},
                          "valid_until": until},
            }  # fmt: skip
            body = keys[n].sign(claims, "pds-offer+jwt").encode()
            headers = {"Content-Type": JWT, "X-Forwarded-For": address(n)}
            items.append((intent["reply_to"], body, headers))
        elapsed, latencies, bad = send_all(items)
        if bad:
            raise BenchError(f"{bad} offers were refused:\n{pod.log_file.read_text()[-2000:]}")
        messages = signed_messages(pod, owner, keys)
        log(f"messages: {len(messages)} into {WRITERS} threads")
        message_elapsed, message_latencies, bad = send_all(messages)
        if bad:
            raise BenchError(f"{bad} messages were refused:\n{pod.log_file.read_text()[-2000:]}")
        bare = BareApp(workdir)
        bare_items = [(bare.base + "/replies/x", body, headers) for _, body, headers in items]
        bare_elapsed, _, _ = send_all(bare_items)
        bare_messages = [
            (bare.base + "/replies/x/offers/y/thread", body, headers)
            for _, body, headers in messages
        ]
        bare_message_elapsed, _, _ = send_all(bare_messages)
    finally:
        pod.stop()
        ENV.pop("PDS_TRUSTED_PROXIES", None)
        if bare:
            stop(bare.proc)
    return {
        "offers/s": OFFERS / elapsed,
        "offer p50 ms": 1000 * statistics.median(latencies),
        "offer p99 ms": 1000 * statistics.quantiles(latencies, n=100)[98],
        "bare offers/s": OFFERS / bare_elapsed,
        "offers / bare": (OFFERS / elapsed) / (OFFERS / bare_elapsed),
        "messages/s": len(messages) / message_elapsed,
        "message p50 ms": 1000 * statistics.median(message_latencies),
        "message p99 ms": 1000 * statistics.quantiles(message_latencies, n=100)[98],
        "messages / bare": bare_message_elapsed / message_elapsed,
    }


def signed_messages(
    pod: Pod, owner: requests.Session, keys: list[VendorKey]
) -> list[tuple[str, bytes, dict]]:
    """MESSAGES_EACH signed messages from each of the first WRITERS offers' vendors, into the
    thread about its offer, interleaved as many vendors writing at once would be."""
    writers = {keys[n].thumbprint: n for n in range(WRITERS)}
    listed = owner.get(f"{pod.base}/owner/intents", timeout=30).json()["intents"]
    threads: dict[int, str] = {}
    for made in listed:
        reply_to = made["published"]["reply_to"]
        offers = owner.get(f"{pod.base}/owner/intents/{made['id']}/offers", timeout=30).json()
        for offer in offers["offers"]:
            if offer["vendor_id"] in writers:
                threads[writers[offer["vendor_id"]]] = f"{reply_to}/offers/{offer['id']}/thread"
    items = []
    for turn in range(MESSAGES_EACH):
        for n, url in sorted(threads.items()):
            now = int(time.time())
            claims = {
                "aud": url, "iat": now, "exp": now + 600, "jti": secrets.token_urlsafe(16),
                "object": {"type": "Note", "content": f"Message {turn} about the car."},
            }  # fmt: skip
            body = keys[n].sign(claims, "pds-message+jwt").encode()
            items.append((url, body, {"Content-Type": JWT, "X-Forwarded-For": address(n)}))
    return items


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # 2,000 lines of access log: no
        pass


class Callbacks:
    """The vendors' callbacks: when each notice about each intent arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, list[float]] = {}
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        now = time.perf_counter()
        payload = body.split(b".")[1]
        intent = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        with self.lock:
            self.arrived.setdefault(intent["intent"]["id"], []).append(now)
        start_response("204 No Content", [])
        return [b""]


def fan_out(workdir: Path) -> dict[str, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_file = workdir / "relay.log"
    with log_file.open("wb") as out:
        relay = subprocess.Popen(
            [PDS, "relay", "--data-dir", str(workdir / "relay"), "--port", str(port),
             "--workers", "2", "--allow-private-callbacks", "--trusted-proxies", "1"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=ENV,
        )  # fmt: skip
    callbacks, bare = Callbacks(), None
    try:
        wait_until_up(base + "/.well-known/intent-relay", relay, log_file)
        for n in range(VENDORS):
            now = int(time.time())
            claims = {
                "aud": base, "iat": now, "exp": now + 300, "jti": secrets.token_urlsafe(16),
                "categories": ["916"], "countries": ["GB"], "callback": f"{callbacks.url}/{n}",
            }  # fmt: skip
            token = VendorKey.generate().sign(claims, "relay-subscription+jwt")
            headers = {"Content-Type": JWT, "X-Forwarded-For": address(n)}
            answer = requests.post(f"{base}/subscriptions", data=token, headers=headers, timeout=30)
            if answer.status_code != 201:
                raise BenchError(f"subscription refused: {answer.text}")
        until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
        announcements = []
        for n in range(ANNOUNCEMENTS):
            now = int(time.time())
            intent = {
                "type": "Intent", "id": f"urn:pds:intent:{secrets.token_urlsafe(16)}",
                "name": f"A small car {n}",
                "category": {"id": CAR, "notation": "916", "name": "Cars, Trucks & Vans",
                             "path": "Vehicles & Parts > Vehicles > Motor Vehicles > "
                                     "Cars, Trucks & Vans"},
                "description": None, "must_have": [], "budget": None,
                "near": {"locality": "Leeds", "country": "GB", "radius_km": None},
                "wanted_by": None, "offers_until": until,
                "agreement": {"id": "PDC-INTENT", "roster": "Customer Commons",
                              "standard": "IEEE 7012-2025",
                              "title": "Personal data contribution: intentcasting"},
            }  # fmt: skip
            claims = {
                "aud": base, "iat": now, "exp": now + 300, "jti": secrets.token_urlsafe(16),
                "intent": intent, "forward_to": f"http://127.0.0.1:9/replies/{n}",
            }  # fmt: skip
            token = VendorKey.generate().sign(claims, "intent-announcement+jwt").encode()
            headers = {"Content-Type": JWT, "X-Forwarded-For": address(n)}
            announcements.append((intent["id"], token, headers))
        latencies, sent_at = [], {}
        started = time.perf_counter()
        for intent_id, token, headers in announcements:
            sent_at[intent_id] = time.perf_counter()
            answer = requests.post(f"{base}/announcements", data=token, headers=headers, timeout=30)
            latencies.append(time.perf_counter() - sent_at[intent_id])
            if answer.status_code != 201:
                raise BenchError(f"announcement refused: {answer.text}")
        elapsed = time.perf_counter() - started
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with callbacks.lock:
                counts = [len(v) for v in callbacks.arrived.values()]
            if len(counts) == ANNOUNCEMENTS and min(counts) >= VENDORS:
                break
            time.sleep(0.05)
        else:
            raise BenchError(f"notices missing after 120 s: {sorted(counts)[:5]}")
        with callbacks.lock:
            spread = [max(callbacks.arrived[i]) - sent for i, sent in sent_at.items()]
        bare = BareApp(workdir)
        bare_started = time.perf_counter()
        for _intent_id, token, headers in announcements:
            requests.post(bare.base + "/announcements", data=token, headers=headers, timeout=30)
        bare_elapsed = time.perf_counter() - bare_started
    finally:
        stop(relay)
        callbacks.server.shutdown()
        if bare:
            stop(bare.proc)
    return {
        "announcements/s": ANNOUNCEMENTS / elapsed,
        "announce p50 ms": 1000 * statistics.median(latencies),
        "to 100 vendors p50 ms": 1000 * statistics.median(spread),
        "to 100 vendors max ms": 1000 * max(spread),
        "announcements / bare": bare_elapsed / elapsed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="rounds (fresh servers each)")
    parser.add_argument("--source", type=Path, help="the pds/ to benchmark (see bench/README)")
    args = parser.parse_args()
    rounds = []
    for n in range(args.repeat):
        log(f"round {n + 1} of {args.repeat}")
        with tempfile.TemporaryDirectory(prefix="pds-rfp-") as tmp:
            workdir = Path(tmp)
            rounds.append({**offer_intake(workdir), **fan_out(workdir)})
        for name, value in rounds[-1].items():
            log(f"  {name:<24} {value:10.2f}")
    print(f"\nMedians of {len(rounds)} round(s)")
    for name in rounds[0]:
        print(f"  {name:<24} {statistics.median(r[name] for r in rounds):10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
