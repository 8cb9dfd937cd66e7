"""A car dealer that answers customers' intents: the personal RFP from the vendor's side.

    python examples/car_dealer.py https://cars.relay.example --key dealer-key.pem \\
        --name "Leeds Motors" --country GB --price 12999.00 --currency GBP \\
        --offer "2019 Honda Jazz 1.3, automatic, 31,000 miles, full service history"

It reads the relay's feed of intents for cars (Google Product Taxonomy 916) in one country,
offers its car to each intent whose budget it fits, and waits for the customers' decisions.
Where a customer accepts, the dealer learns who they are only then: it reads the name and
contact the customer chose to share, through the grant the acceptance gave.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

from rdflib import URIRef

import vendor_client
from vendor_client import RelayClient, SentOffer, VendorKey, send_offer

CARS = "916"  # Vehicles & Parts > Vehicles > Motor Vehicles > Cars, Trucks & Vans
NAME, EMAIL = URIRef("https://schema.org/name"), URIRef("https://schema.org/email")


def fits(intent: dict, price: Decimal, currency: str) -> bool:
    """Whether our price is within the intent's budget (an intent without one takes any)."""
    budget = intent.get("budget")
    if not budget:
        return True
    if budget.get("currency") != currency:
        return False
    low = Decimal(budget["min"]) if budget.get("min") else Decimal(0)
    high = Decimal(budget["max"]) if budget.get("max") else price
    return low <= price <= high


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("relay", help="the intent relay's URL")
    parser.add_argument("--key", type=Path, required=True, help="the dealer's key (PEM)")
    parser.add_argument("--name", required=True, help="the dealer's name, as customers see it")
    parser.add_argument("--country", default="GB", help="two-letter country code")
    parser.add_argument("--price", required=True, help="the price, a decimal like 12999.00")
    parser.add_argument("--currency", default="GBP")
    parser.add_argument("--offer", required=True, help="what is offered, in a sentence or two")
    parser.add_argument("--days", type=int, default=14, help="how long the offer holds")
    parser.add_argument("--wait", type=float, default=3600.0, help="seconds to wait for answers")
    args = parser.parse_args(argv)

    if args.key.exists():
        key = VendorKey.load(args.key)
    else:
        key = VendorKey.generate()
        key.save(args.key)
        print(f"made a new key in {args.key}: dealer id {key.thumbprint}")

    relay = RelayClient(args.relay, key)
    price = Decimal(args.price)
    valid_until = (dt.date.today() + dt.timedelta(days=args.days)).isoformat()
    sent: list[tuple[dict, SentOffer]] = []
    for intent in relay.intents(category=CARS, country=args.country):
        if not fits(intent, price, args.currency):
            continue
        try:
            offer = send_offer(
                intent,
                key,
                vendor={"name": args.name},
                summary=args.offer,
                price=args.price,
                currency=args.currency,
                valid_until=valid_until,
            )
        except vendor_client.VendorClientError as exc:
            print(f"could not offer for {intent['name']!r}: {exc}", file=sys.stderr)
            continue
        print(f"offered for {intent['name']!r}")
        sent.append((intent, offer))

    for intent, offer in sent:
        decision = offer.wait(timeout=args.wait)
        if not decision.accepted or decision.pod is None or decision.grant is None:
            print(f"{intent['name']!r}: the customer said no")
            continue
        profile = decision.pod.read("/profile", decision.grant)
        name = next(profile.objects(None, NAME), "(no name shared)")
        emails = ", ".join(sorted(str(e) for e in profile.objects(None, EMAIL))) or "no email"
        print(f"{intent['name']!r}: accepted by {name} <{emails}>, at {decision.pod.pod_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
