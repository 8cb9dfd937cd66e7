"""What an offer says, checked before the customer sees it: bounded, typed, plain text (§14.2)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from pds.consent.errors import InvalidInput

MAX_SUMMARY = 2000
_DECIMAL = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def offer_body(raw: Any, now: dt.datetime) -> dict[str, Any]:
    """The `offer` claim of a vendor's offer, checked: what the customer will see."""
    if not isinstance(raw, dict):
        raise InvalidInput("offer is an object: summary, price, valid_until, link, terms")
    summary = raw.get("summary")
    if not isinstance(summary, str) or not 0 < len(summary.strip()) <= MAX_SUMMARY:
        raise InvalidInput(f"the offer's summary is text of 1 to {MAX_SUMMARY} characters")
    price = raw.get("price")
    if (
        not isinstance(price, dict)
        or not isinstance(price.get("amount"), str)
        or not _DECIMAL.match(price["amount"])
        or not isinstance(price.get("currency"), str)
        or not _CURRENCY.match(price["currency"])
    ):
        raise InvalidInput(
            'price is {"amount": "12999.00", "currency": "GBP"}: a decimal as text, '
            "at most two decimals, and a three-letter currency code"
        )
    try:
        Decimal(price["amount"])
        valid_until = dt.date.fromisoformat(raw.get("valid_until") or "")
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput("valid_until is a date, such as 2027-01-31") from None
    if valid_until < now.date():
        raise InvalidInput("the offer's valid_until has passed")
    link = raw.get("link")
    if link is not None and not _https_url(link):
        raise InvalidInput("link is an https URL of at most 2048 characters")
    accepted = raw.get("terms", [])
    if not isinstance(accepted, list) or not all(isinstance(t, str) for t in accepted):
        raise InvalidInput("terms is a list of the customer's term ids the vendor accepts")
    return {
        "summary": _text(summary.strip()),
        "price": {"amount": price["amount"], "currency": price["currency"]},
        "valid_until": valid_until.isoformat(),
        "link": link,
        "terms": accepted[:50],
    }


def _https_url(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 2048:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # "https://[": not a URL at all
        return False
    return parts.scheme == "https" and bool(parts.hostname)


def _text(summary: str) -> str:
    """Untrusted text as sent, but for control characters other than line breaks and tabs."""
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in summary):
        raise InvalidInput("the offer's summary cannot contain control characters")
    return summary
