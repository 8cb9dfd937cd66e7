"""An access request waiting for the customer, and the grant it becomes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import time
from typing import TYPE_CHECKING, Any

from vendor_client.agreements import ANSWER_TYP, AgreementAnswer, AgreementRecord
from vendor_client.dpop import DPoPAuth
from vendor_client.errors import RequestDenied

if TYPE_CHECKING:
    from vendor_client.client import PodClient


@dataclasses.dataclass(frozen=True)
class Grant:
    """A grant from the customer: use it with `PodClient.read` / `append`."""

    id: str
    token: str
    scopes: list[dict[str, Any]]
    expires_at: dt.datetime
    receipt: str  # the signed consent receipt (compact JWS): keep it
    agreement: dict[str, Any] | None = None  # the IEEE 7012 agreement agreed on (§17)
    agreement_records: tuple[AgreementRecord, ...] = ()  # the pod's signed records, checked

    @property
    def expired(self) -> bool:
        return self.expires_at <= dt.datetime.now(dt.UTC)


class PendingRequest:
    """An access request waiting for the customer's decision."""

    def __init__(
        self,
        client: PodClient,
        request_id: str,
        status_url: str,
        *,
        signed: str | None = None,
        answer: AgreementAnswer | None = None,
    ):
        self.client = client
        self.id = request_id
        self.status_url = status_url
        self.signed = signed  # our signed request (or late answer): our half of the record
        self.answer = answer  # our answer to the customer's agreement, if we gave one

    def status(self) -> dict[str, Any]:
        """The request's state as the pod reports it (readable only with our key)."""
        response = self.client._call("GET", self.status_url, auth=DPoPAuth(self.client.key))
        status: dict[str, Any] = response.json()
        return status

    def wait(
        self, timeout: float = 300.0, *, interval: float = 1.0, max_interval: float = 15.0
    ) -> Grant:
        """Poll with exponential backoff until the customer decides.

        Returns the Grant on approval; raises RequestDenied on denial, TimeoutError if no
        decision came within `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            state = self.status()
            if state["status"] == "approved":
                return self.client._grant_from(state, self)
            if state["status"] == "denied":
                raise RequestDenied("the customer denied the access request")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no decision on access request {self.id} within {timeout} s")
            time.sleep(min(interval, remaining))
            interval = min(interval * 1.6, max_interval)

    def answer_agreement(self, answer: AgreementAnswer) -> dict[str, Any]:
        """Answer the customer's agreement after the request (if it carried no answer): once,
        while it is pending. A second answer is refused (the one-round rule)."""
        now = int(time.time())
        claims = {
            "aud": self.status_url,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
            "agreement": answer.claim(),
        }
        signed = self.client.key.sign(claims, ANSWER_TYP)
        response = self.client._call(
            "POST",
            self.status_url + "/agreement",
            data=signed,
            headers={"Content-Type": "application/jwt"},
        )
        self.signed, self.answer = signed, answer
        body: dict[str, Any] = response.json()
        return body

    def agreement_records(self) -> list[AgreementRecord]:
        """The pod's signed records of the agreement negotiated on this request, their
        signatures checked and held against the answer we signed: ProtocolError otherwise."""
        state = self.status()
        agreed = state.get("agreement", {}).get("agreed") if state.get("agreement") else None
        return self.client._agreement_records(state, self, agreed)
