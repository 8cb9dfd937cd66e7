"""A vendor's first integration with a customer's pod, end to end.

    python examples/vendor_shop.py http://127.0.0.1:8000 --key shop-key.pem

It creates (or loads) the shop's key, asks the pod for the customer's email address to send
order confirmations, waits while the customer decides on their consent page, reads the email,
files a receipt into the pod, and gives the grant back when done.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from rdflib import URIRef

import vendor_client
from vendor_client import PodClient, VendorKey

EMAIL = "https://schema.org/email"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pod", help="the pod's URL, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--key",
        type=Path,
        default=Path("shop-key.pem"),
        help="the shop's private key (created if missing)",
    )
    parser.add_argument("--wait", type=float, default=300, help="seconds to wait for a decision")
    args = parser.parse_args()

    if args.key.exists():
        key = VendorKey.load(args.key)
    else:
        key = VendorKey.generate()
        key.save(args.key)
        print(f"Created a new shop key in {args.key}")
    pod = PodClient(args.pod, key)
    print(f"Shop id (key thumbprint): {pod.vendor_id}")

    config = pod.discover()
    print("The customer's terms:", ", ".join(t["title"] for t in config.terms))
    own_records = f"/vendors/{pod.vendor_id}/"
    pending = pod.request_access(
        [
            {"resource": "/profile", "modes": ["read"], "fields": [EMAIL]},
            {"resource": own_records, "modes": ["append"]},
        ],
        purpose="https://w3id.org/dpv#ServiceProvision",
        description="to send you order confirmations and keep your receipts in your pod",
        duration=dt.timedelta(days=30),
        vendor={
            "name": "Example Shop",
            "homepage": "https://shop.example",
            "contact": "privacy@shop.example",
        },
    )
    print(f"Asked for access (request {pending.id}); waiting for the customer...", flush=True)
    try:
        grant = pending.wait(timeout=args.wait)
    except vendor_client.RequestDenied:
        print("The customer said no. We will not ask again soon.")
        return 1
    except TimeoutError:
        print("No answer yet; we can check again later with the status URL:", pending.status_url)
        return 2

    print(f"Granted until {grant.expires_at:%Y-%m-%d %H:%M} UTC: {grant.scopes}")
    profile = pod.read("/profile", grant)
    for email in sorted(str(o) for o in profile.objects(None, URIRef(EMAIL))):
        print(f"Email: {email}")

    if any(s["resource"] == own_records for s in grant.scopes):
        receipt = (
            "@prefix schema: <https://schema.org/> .\n"
            '<#order> a schema:Order ; schema:orderNumber "A-1001" ; '
            'schema:orderDate "2026-11-23"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
        )
        print("Filed a receipt at", pod.append(own_records, receipt, grant, slug="order-A-1001"))

    pod.give_back(grant)
    print("Done, and the grant is given back.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
