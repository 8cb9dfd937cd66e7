"""Offers and status polls through the relay (docs/relay.md §7): the vendor talks to the
relay's reply address, the relay to the pod's, and neither learns the other's network address.

The relay never stores an offer. It forwards the vendor's signed offer unchanged, and tells
the pod through which of its addresses it came (`PDS-Relay-Reply`); in the pod's answer it
replaces whatever names the pod with its own addresses. A status poll goes to the pod with the
vendor's DPoP proof untouched, and the pod's answer comes back as it is.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import urlsplit

from pds.consent import jose
from pds.consent.errors import InvalidInput
from pds.relay import protocol
from pds.relay.errors import (
    IntentNotFound,
    InvalidJWS,
    MissingProof,
    OfferNotFound,
    PodUnreachable,
)
from pds.relay.forwarding import MAX_THREAD_ANSWER, RELAY_REPLY_HEADER, PodAnswer, exchange
from pds.relay.service import Relay, is_id
from pds.relay.store import AnnouncementRow

MAX_PROOF = 4096
JSON_TYPES = ("application/json", "application/problem+json")
# Headers of the pod's answer a vendor may need; no other is passed on.
_PASSED = ("retry-after", "cache-control", "www-authenticate", "dpop-nonce", "accept-post")


@dataclasses.dataclass(frozen=True)
class RelayedAnswer:
    """What the vendor gets back: the pod's status and body, the relay's addresses."""

    status: int
    media_type: str
    body: bytes
    headers: dict[str, str]


class Replies:
    def __init__(self, relay: Relay):
        self.relay = relay

    def send_offer(self, token: str, body: bytes, client: str) -> RelayedAnswer:
        """Forward a vendor's signed offer to the pod of the intent at `token`."""
        row = self._announcement(token)
        limit = self.relay.limits.offers_per_network
        self.relay.limiter.hit(
            "offers to one intent", f"{token} {client}", limit, self.relay.clock()
        )
        reply_url = self.relay.reply_url(token)
        _check_signed(body, protocol.OFFER_TYP, reply_url)
        answer = exchange(
            "POST",
            row.forward_to,
            headers={
                "Content-Type": protocol.JWT_MEDIA_TYPE,
                "Accept": "application/json",
                RELAY_REPLY_HEADER: reply_url,
            },
            body=body,
            allow_private=self.relay.allow_private,
        )
        data = _usable(answer)
        pod = _origin(row.forward_to)
        if 200 <= answer.status < 300:
            offer_id = data.get("id")
            if not is_id(offer_id):
                raise PodUnreachable("the customer's pod took the offer but gave no offer id")
            status_url = self.relay.offer_url(token, str(offer_id))
            relayed = {**_without(data, pod), "status_url": status_url}
            return RelayedAnswer(
                answer.status,
                "application/json",
                _json(relayed),
                {**_passed(answer), "Location": status_url},
            )
        return RelayedAnswer(
            answer.status, "application/problem+json", _json(_without(data, pod)), _passed(answer)
        )

    def poll(self, token: str, offer_id: str, proofs: list[str], client: str) -> RelayedAnswer:
        """Ask the pod for the state of an offer, with the vendor's DPoP proof: also after the
        intent was withdrawn or closed, for DECISION_DAYS, to learn the customer's answer."""
        forward_to = self._route(token)
        if not is_id(offer_id):
            raise OfferNotFound("there is no offer here for your key")
        _one_proof(proofs)
        limit = self.relay.limits.polls_per_network
        self.relay.limiter.hit(
            "status polls through one reply address", f"{token} {client}", limit, self.relay.clock()
        )
        answer = exchange(
            "GET",
            f"{forward_to}/offers/{offer_id}",
            headers={
                "DPoP": proofs[0],
                "Accept": "application/json",
                RELAY_REPLY_HEADER: self.relay.reply_url(token),
            },
            allow_private=self.relay.allow_private,
        )
        _usable(answer)
        media_type = answer.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return RelayedAnswer(answer.status, media_type, answer.body, _passed(answer))

    def read_thread(
        self,
        token: str,
        offer_id: str,
        proofs: list[str],
        client: str,
        if_none_match: str | None = None,
        before: str | None = None,
    ) -> RelayedAnswer:
        """The conversation about an offer, for the vendor that made it (its DPoP proof goes
        to the pod untouched; the pod names only the relay's address of the thread)."""
        forward_to = self._route(token)
        if not is_id(offer_id):
            raise OfferNotFound("there is no offer here for your key")
        _one_proof(proofs)
        limit = self.relay.limits.thread_reads_per_network
        self.relay.limiter.hit(
            "thread reads through one reply address", f"{token} {client}", limit, self.relay.clock()
        )
        if before is not None and not is_id(before):
            raise OfferNotFound("there is no such message in this thread")
        query = f"?before={before}" if before else ""
        answer = exchange(
            "GET",
            f"{forward_to}/offers/{offer_id}/thread{query}",
            headers={
                "DPoP": proofs[0],
                "Accept": "application/ld+json",
                RELAY_REPLY_HEADER: self.relay.reply_url(token),
                **({"If-None-Match": if_none_match} if if_none_match else {}),
            },
            allow_private=self.relay.allow_private,
            max_answer=MAX_THREAD_ANSWER,
        )
        if answer.status == 304:  # not changed since the vendor's last read
            return RelayedAnswer(304, "", b"", {**_passed(answer), **_thread_headers(answer)})
        _answered(answer)
        media_type = answer.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        headers = {**_passed(answer), **_thread_headers(answer)}
        return RelayedAnswer(answer.status, media_type, answer.body, headers)

    def send_message(self, token: str, offer_id: str, body: bytes, client: str) -> RelayedAnswer:
        """Forward a vendor's signed message about its offer to the pod (protocol §15)."""
        forward_to = self._route(token)
        if not is_id(offer_id):
            raise OfferNotFound("there is no offer here for your key")
        limit = self.relay.limits.messages_per_network
        self.relay.limiter.hit(
            "messages through one reply address", f"{token} {client}", limit, self.relay.clock()
        )
        _check_signed(body, protocol.MESSAGE_TYP, f"{self.relay.offer_url(token, offer_id)}/thread")
        answer = exchange(
            "POST",
            f"{forward_to}/offers/{offer_id}/thread",
            headers={
                "Content-Type": protocol.JWT_MEDIA_TYPE,
                "Accept": "application/json",
                RELAY_REPLY_HEADER: self.relay.reply_url(token),
            },
            body=body,
            allow_private=self.relay.allow_private,
        )
        data = _without(_usable(answer), _origin(forward_to))
        headers = _passed(answer)
        if answer.status < 300 and isinstance(data.get("id"), str):
            headers["Location"] = data["id"]  # the message, at the relay's address
        media_type = "application/json" if answer.status < 300 else "application/problem+json"
        return RelayedAnswer(answer.status, media_type, _json(data), headers)

    def _route(self, token: str) -> str:
        if is_id(token):
            self.relay.forget_expired()
            with self.relay.store.read() as conn:
                forward_to = self.relay.store.route(conn, token, self.relay.clock())
            if forward_to is not None:
                return forward_to
        raise IntentNotFound("there is no intent at this address, nor offers to it to follow")

    def _announcement(self, token: str) -> AnnouncementRow:
        if is_id(token):
            self.relay.forget_expired()
            with self.relay.store.read() as conn:
                row = self.relay.store.by_reply_token(conn, token, self.relay.clock())
            if row is not None:
                return row
        raise IntentNotFound(
            "there is no intent at this address: it was withdrawn, or its last day has passed"
        )


def _one_proof(proofs: list[str]) -> None:
    if len(proofs) != 1 or not 0 < len(proofs[0]) <= MAX_PROOF or not proofs[0].isascii():
        raise MissingProof(
            f"send one DPoP proof (at most {MAX_PROOF} characters) made by the key that "
            "signed the offer, for GET and this URL",
            headers={"WWW-Authenticate": f'DPoP algs="{" ".join(jose.ALGORITHMS)}"'},
        )


def _check_signed(body: bytes, typ: str, address: str) -> None:
    """Only what spares the pod junk: a signed offer or message (typ) meant for this address
    (aud). The signature and the rest are the pod's to check (protocol §14.2, §15)."""
    try:
        jws = jose.parse_compact(body.decode("ascii").strip())
    except (UnicodeDecodeError, InvalidInput, RecursionError):
        raise InvalidJWS("the body is a compact JWS, in ASCII (protocol §14.2, §15)") from None
    if jws.header.get("typ") != typ:
        raise InvalidJWS(f"the typ header must be {typ!r}")
    if jws.payload.get("aud") != address:
        raise InvalidJWS(f"the aud must be this address, {address!r}")


def _thread_headers(answer: PodAnswer) -> dict[str, str]:
    """What a vendor needs to poll a thread cheaply and write to it: its ETag, and where it
    posts (the pod names the relay's address of the thread)."""
    names = {"etag": "ETag", "link": "Link", "accept-post": "Accept-Post", "vary": "Vary"}
    return {
        names[k]: v
        for k, v in answer.headers.items()
        if k in names and v.isascii() and v.isprintable()
    }


def _usable(answer: PodAnswer) -> dict[str, Any]:
    """The pod's JSON object; PodUnreachable for a redirect, a server error or no JSON."""
    _answered(answer)
    media_type = answer.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    try:
        data = json.loads(answer.body) if media_type in JSON_TYPES else None
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise PodUnreachable(f"the customer's pod answered {answer.status} without a JSON object")
    return data


def _answered(answer: PodAnswer) -> None:
    """PodUnreachable unless the pod gave an answer to pass on: no redirect, no server error."""
    if 300 <= answer.status < 400:
        raise PodUnreachable("the customer's pod answered with a redirect, which is not followed")
    if answer.status >= 500 or answer.status < 200:
        raise PodUnreachable(
            f"the customer's pod answered {answer.status}: try again later",
            headers={k: v for k, v in _passed(answer).items() if k == "Retry-After"},
        )


def _passed(answer: PodAnswer) -> dict[str, str]:
    return {
        "-".join(p.capitalize() for p in name.split("-")).replace("Dpop", "DPoP"): value
        for name, value in answer.headers.items()
        if name in _PASSED and value.isascii() and value.isprintable()
    }


def _origin(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _without(data: dict[str, Any], pod: str) -> dict[str, Any]:
    """The members of the pod's answer that do not name it (its host and port)."""
    return {k: v for k, v in data.items() if pod not in json.dumps(v).lower()}


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True).encode()
