"""Two vendors in one customer's value chain: a car dealer and an insurer.

The dealer sold the customer a car (the customer accepted its offer and let it keep records):
it files a receipt and the car's service visits in the customer's pod, and talks with the
customer through the pod. The insurer holds a grant for the customer's postal address; when
the customer shares the dealer's service history with it, the pod tells it (a `Share`
notification), and it reads those records with the grant the customer gave.

Neither keeps the customer's data in a silo of its own: each writes or reads the pod.

    python examples/dealer_and_insurer.py insurer https://alex.pods.example \\
        --key insurer.pem --listen 127.0.0.1:8040 --callback https://insurer.example/pod-events

runs the insurer: it asks for the postal address, then listens at its callback for what the
pod tells it, and prints each service visit it is shown. `Dealer` is the dealer's side, used
with an accepted offer (see examples/car_dealer.py for finding and answering intents).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef

from vendor_client import Decision, Grant, PendingRequest, PodClient, Thread, VendorKey

SCHEMA = Namespace("https://schema.org/")
PDS = Namespace("https://w3id.org/vrm-pod/ns#")
ADDRESS = "https://schema.org/address"
PURPOSE = "https://w3id.org/dpv#ServiceProvision"


class Dealer:
    """The dealer's side once the customer accepted its offer (with records allowed)."""

    def __init__(self, decision: Decision):
        if not decision.accepted or decision.pod is None or decision.grant is None:
            raise ValueError("the customer did not accept the offer")
        self.pod: PodClient = decision.pod
        self.grant: Grant = decision.grant

    def file_receipt(self, number: str, day: dt.date, what: str, price: str, currency: str) -> str:
        """A receipt (schema:Order) in the customer's pod; returns its URL."""
        record = _record(
            SCHEMA.Order,
            {
                SCHEMA.orderNumber: Literal(number),
                SCHEMA.orderDate: Literal(day),
                SCHEMA.description: Literal(what),
                SCHEMA.price: Literal(price, datatype=XSD.decimal),
                SCHEMA.priceCurrency: Literal(currency),
            },
        )
        return self.pod.write_record(record, self.grant, slug=f"receipt {number}")

    def file_service_visit(self, day: dt.date, work: str, mileage: int) -> str:
        """A service visit (pds:ServiceRecord) in the customer's pod; returns its URL."""
        record = _record(
            PDS.ServiceRecord,
            {
                SCHEMA.startDate: Literal(day),
                SCHEMA.description: Literal(work),
                PDS.mileage: Literal(mileage),
            },
        )
        return self.pod.write_record(record, self.grant, slug=f"service {day.isoformat()}")

    def records(self) -> list[str]:
        return self.pod.list_records(self.grant)

    def write(self, thread: Thread, text: str) -> str:
        return thread.send(text)


class Insurer:
    """The insurer: it holds the postal address, and reads what the customer shares with it."""

    def __init__(self, pod_url: str, key: VendorKey, callback: str):
        self.pod = PodClient(pod_url, key)
        self.callback = callback
        self.grants: dict[str, Grant] = {}  # by grant id
        self.addresses: list[str] = []
        self.visits: list[dict[str, Any]] = []

    def ask_for_address(self) -> PendingRequest:
        return self.pod.request_access(
            [{"resource": "/profile", "modes": ["read"], "fields": [ADDRESS]}],
            purpose=PURPOSE,
            description="to insure your car at the address where it is kept",
            duration=dt.timedelta(days=365),
            vendor={"name": "Safe Roads Insurance"},
            callback=self.callback,
        )

    def hold(self, grant: Grant) -> None:
        self.grants[grant.id] = grant
        self.read_address(grant)

    def read_address(self, grant: Grant) -> None:
        profile = self.pod.read("/profile", grant)
        self.addresses = sorted(
            ", ".join(
                str(profile.value(address, SCHEMA[part]))
                for part in ("streetAddress", "addressLocality", "postalCode")
                if profile.value(address, SCHEMA[part]) is not None
            )
            for address in profile.objects(None, URIRef(ADDRESS))
        )

    def on_notice(self, body: bytes) -> dict[str, Any]:
        """A notification POSTed to the callback: verified, then acted upon."""
        notice = self.pod.verify_notification(body)
        if notice["type"] == "Share":
            grant = self.pod.shared_grant(notice["object"], grant_id=notice["grant"])
            self.grants[grant.id] = grant
            self.read_shared(grant)
        elif notice["type"] == "Update" and notice["grant"] in self.grants:
            self.read_address(self.grants[notice["grant"]])
        elif notice["type"] == "Revoke":
            self.grants.pop(notice["grant"], None)
        return notice

    def read_shared(self, grant: Grant) -> list[dict[str, Any]]:
        """The service visits the customer shared: each record the grant names."""
        visits = []
        for scope in grant.scopes:
            path = scope["resource"]
            paths = (
                [self.pod.resource_path(u) for u in self.pod.list_records(grant, path)]
                if path.endswith("/")
                else [path]
            )
            for one in paths:
                visits.extend(_visits(self.pod.read(one, grant)))
        self.visits = visits
        return visits


def _record(kind: URIRef, facts: dict[URIRef, Literal]) -> Graph:
    """One record about `<#it>`, which the pod resolves against the new record's URL. Built
    as a graph, not as text: a quote in a description cannot break it."""
    graph, it = Graph(), URIRef("#it")
    graph.add((it, RDF.type, kind))
    for predicate, value in facts.items():
        graph.add((it, predicate, value))
    return graph


def _visits(graph: Graph) -> list[dict[str, Any]]:
    return [
        {
            "date": str(graph.value(visit, SCHEMA.startDate)),
            "work": str(graph.value(visit, SCHEMA.description)),
            "mileage": int(graph.value(visit, PDS.mileage) or 0),
        }
        for visit in graph.subjects(RDF.type, PDS.ServiceRecord)
    ]


def serve_callback(insurer: Insurer, host: str, port: int) -> ThreadingHTTPServer:
    """A small HTTP server that hands each POSTed notification to the insurer."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(min(int(self.headers.get("Content-Length", 0)), 65536))
            try:
                notice = insurer.on_notice(body)
            except Exception as exc:  # a forged or unreadable notice: say so, change nothing
                self.send_response(400)
                self.end_headers()
                print(f"refused a notification: {exc}", file=sys.stderr)
                return
            self.send_response(204)
            self.end_headers()
            print(f"{notice['type']}: {notice.get('object', notice['grant'])}")
            for visit in insurer.visits if notice["type"] == "Share" else []:
                print(f"  service visit {visit['date']}: {visit['work']} ({visit['mileage']} km)")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="role", required=True)
    insurer_args = sub.add_parser("insurer", help="ask for the address, then listen")
    insurer_args.add_argument("pod", help="the customer's pod URL")
    insurer_args.add_argument("--key", type=Path, required=True, help="the insurer's key (PEM)")
    insurer_args.add_argument("--listen", default="127.0.0.1:8040", help="host:port to listen")
    insurer_args.add_argument("--callback", required=True, help="the callback's public URL")
    insurer_args.add_argument("--wait", type=float, default=3600.0, help="seconds to run")
    args = parser.parse_args(argv)

    key = VendorKey.load(args.key) if args.key.exists() else VendorKey.generate()
    if not args.key.exists():
        key.save(args.key)
    insurer = Insurer(args.pod, key, args.callback)
    host, _, port = args.listen.rpartition(":")
    server = serve_callback(insurer, host, int(port))
    try:
        grant = insurer.ask_for_address().wait(timeout=args.wait)
        insurer.hold(grant)
        print(f"insuring the car at {', '.join(insurer.addresses) or '(no address shared)'}")
        threading.Event().wait(args.wait)
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
