"""Answering a customer's intent with an offer, and learning what the customer decided.

An intent reaches a vendor without saying who asks: only its reply address. The vendor signs an
offer with its key and sends it there; it learns the customer's decision at the offer's status
URL. If the customer accepts, the pod makes a grant for this key (the contact fields the
customer chose) and only then does the vendor learn which pod, and so which customer, it was.

>>> key = VendorKey.generate()
>>> sent = send_offer(intent, key, vendor={"name": "Leeds Motors"},           # doctest: +SKIP
...                   summary="2019 Honda Jazz, automatic, 31,000 miles",
...                   price="12999.00", currency="GBP", valid_until="2027-01-15")
>>> decision = sent.wait()                                                   # doctest: +SKIP
>>> if decision.accepted:                                                    # doctest: +SKIP
...     profile = decision.pod.read("/profile", decision.grant)
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from typing import Any

from vendor_client.client import PodClient
from vendor_client.dpop import DPoPAuth
from vendor_client.errors import ProtocolError
from vendor_client.grants import Grant, PendingRequest
from vendor_client.keys import VendorKey
from vendor_client.threads import Thread
from vendor_client.transport import call

OFFER_TYP = "pds-offer+jwt"
ACCESS_REQUESTS = "/access-requests/"


@dataclasses.dataclass(frozen=True)
class Decision:
    """The customer's answer to an offer. On acceptance: the pod and the grant."""

    status: str  # accepted or declined
    pod: PodClient | None = None
    grant: Grant | None = None

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


class SentOffer:
    """An offer the pod accepted for the customer to consider."""

    def __init__(self, key: VendorKey, offer_id: str, status_url: str, timeout: float = 10.0):
        self.key = key
        self.id = offer_id
        self.status_url = status_url
        self.timeout = timeout

    def status(self) -> dict[str, Any]:
        """The offer's state: received, shortlisted, declined or accepted."""
        state: dict[str, Any] = call(
            "GET", self.status_url, self.timeout, auth=DPoPAuth(self.key)
        ).json()
        return state

    def wait(
        self, timeout: float = 3600.0, *, interval: float = 2.0, max_interval: float = 60.0
    ) -> Decision:
        """Poll with exponential backoff until the customer accepts or declines the offer."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.status()
            if state["status"] == "declined":
                return Decision("declined")
            if state["status"] == "accepted" and state.get("access_request"):
                return self._accepted(state["access_request"])
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no decision on offer {self.id} within {timeout} s")
            time.sleep(min(interval, remaining))
            interval = min(interval * 1.6, max_interval)

    def thread(self) -> Thread:
        """The conversation with the customer about this offer (§15.4), at the address the
        offer went through: write before or after the customer decides."""
        return Thread(self.status_url + "/thread", self.key, timeout=self.timeout)

    def _accepted(self, status_url: str) -> Decision:
        pod_url, marker, request_id = status_url.rpartition(ACCESS_REQUESTS)
        if not marker or not pod_url:
            raise ProtocolError(f"an accepted offer names no access request: {status_url}")
        pod = PodClient(pod_url, self.key, timeout=self.timeout)
        grant = PendingRequest(pod, request_id, status_url).wait(timeout=60)
        return Decision("accepted", pod, grant)


def send_offer(
    intent: dict[str, Any],
    key: VendorKey,
    *,
    vendor: dict[str, str],
    summary: str,
    price: str,
    currency: str,
    valid_until: str,
    link: str | None = None,
    terms: list[str] | None = None,
    callback: str | None = None,
    timeout: float = 10.0,
) -> SentOffer:
    """Sign an offer for `intent` (as published: its `id` and `reply_to`) and send it.

    `price` is a decimal as text ("12999.00"), `valid_until` a date ("2027-01-15"); `terms`
    are ids of the customer's terms the vendor accepts. `callback` is where the pod tells you
    of your grant's events (changes, messages, revocation) once the customer accepts.
    """
    reply_to = intent["reply_to"]
    now = int(time.time())
    claims = {
        "aud": reply_to,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(16),
        "intent": intent["id"],
        "vendor": vendor,
        "offer": {
            "summary": summary,
            "price": {"amount": price, "currency": currency},
            "valid_until": valid_until,
            "link": link,
            "terms": terms or [],
        },
    }
    if callback is not None:
        claims["callback"] = callback
    response = call(
        "POST",
        reply_to,
        timeout,
        data=key.sign(claims, OFFER_TYP),
        headers={"Content-Type": "application/jwt"},
    )
    body = response.json()
    return SentOffer(key, body["id"], body["status_url"], timeout)
