"""Conversations with a customer through their pod (protocol §15).

A thread lives at one URL: the pod's `/threads/<id>`, or, for a thread about an offer sent
through a relay, the relay's address of it (you never learn the pod's before the customer
accepts). Each message is signed by your key; reading proves your key with a DPoP proof.

>>> thread = sent_offer.thread()                                      # doctest: +SKIP
>>> thread.send("It has a full service history; a test drive on Saturday?")  # doctest: +SKIP
>>> answers = thread.wait_for_reply()                                  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import time
from typing import Any

import requests

from vendor_client.dpop import DPoPAuth
from vendor_client.errors import ProtocolError
from vendor_client.keys import VendorKey
from vendor_client.transport import call

MESSAGE_TYP = "pds-message+jwt"
AS2 = "https://www.w3.org/ns/activitystreams"


@dataclasses.dataclass(frozen=True)
class ThreadMessage:
    id: str  # the message's URL (the thread's, with a fragment)
    from_customer: bool
    text: str  # plain text, as written: never render it as HTML
    published: dt.datetime


@dataclasses.dataclass(frozen=True)
class ThreadState:
    url: str
    subject: str | None
    state: str  # open, or closed: the customer takes no more messages
    messages: list[ThreadMessage]  # the latest page (20), oldest first: see Thread.history
    total: int  # messages in the whole thread
    prev: str | None  # the page before, if any


class Thread:
    """One conversation with a customer, at `url`."""

    def __init__(
        self,
        url: str,
        key: VendorKey,
        *,
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ):
        self.url = url
        self.key = key
        self.session = session or requests.Session()
        self.timeout = timeout
        self._etag: str | None = None
        self._last: ThreadState | None = None

    def send(self, text: str) -> str:
        """Post a message; returns its URL. ThreadClosed if the customer closed the thread."""
        response = call(
            "POST",
            self.url,
            self.timeout,
            session=self.session,
            data=sign_message(self.key, self.url, text),
            headers={"Content-Type": "application/jwt"},
        )
        location: str = response.json()["id"]
        return location

    def read(self) -> ThreadState:
        """The thread as it is now (asking again only costs a 304 if nothing changed)."""
        headers = {"Accept": "application/ld+json"}
        if self._etag and self._last is not None:
            headers["If-None-Match"] = self._etag
        response = call(
            "GET",
            self.url,
            self.timeout,
            session=self.session,
            auth=DPoPAuth(self.key),
            headers=headers,
        )
        if response.status_code == 304 and self._last is not None:
            return self._last
        self._etag = response.headers.get("ETag")
        self._last = _state(self.url, response.json())
        return self._last

    def history(self) -> list[ThreadMessage]:
        """Every message of the thread, oldest first, page by page."""
        state = self.read()
        messages, prev = list(state.messages), state.prev
        while prev:
            response = call(
                "GET", prev, self.timeout, session=self.session, auth=DPoPAuth(self.key)
            )
            page = _state(self.url, response.json())
            messages[:0] = page.messages
            prev = page.prev
        return messages

    def wait_for_reply(
        self,
        timeout: float = 3600.0,
        *,
        after: str | None = None,
        interval: float = 2.0,
        max_interval: float = 60.0,
    ) -> list[ThreadMessage]:
        """The customer's messages after message `after` (by default: after the last message
        now in the thread), polling with backoff until there is one; TimeoutError if none."""
        if after is None:
            current = self.read().messages
            after = current[-1].id if current else None
        deadline = time.monotonic() + timeout
        while True:
            messages = self.read().messages
            ids = [m.id for m in messages]
            newer = messages[ids.index(after) + 1 :] if after in ids else messages
            replies = [m for m in newer if m.from_customer]
            if replies:
                return replies
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer in {self.url} within {timeout} s")
            time.sleep(min(interval, remaining))
            interval = min(interval * 1.6, max_interval)


def sign_message(
    key: VendorKey,
    audience: str,
    text: str,
    *,
    subject: str | None = None,
) -> str:
    """A message for the inbox at `audience`, signed by `key` (§15.2)."""
    now = int(time.time())
    note: dict[str, Any] = {"@context": AS2, "type": "Note", "mediaType": "text/plain"}
    note["content"] = text
    if subject is not None:
        note["name"] = subject
    claims: dict[str, Any] = {
        "aud": audience,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(16),
        "object": note,
    }
    return key.sign(claims, MESSAGE_TYP)


def _state(url: str, body: Any) -> ThreadState:
    if not isinstance(body, dict) or body.get("type") != "OrderedCollection":
        raise ProtocolError(f"{url} is not a thread (an ActivityStreams OrderedCollection)")
    messages = [
        ThreadMessage(
            id=item["id"],
            from_customer=str(item.get("attributedTo", "")).endswith("#customer"),
            text=item["content"],
            published=dt.datetime.fromisoformat(item["published"]),
        )
        for item in body.get("orderedItems", [])
    ]
    return ThreadState(
        url,
        body.get("name"),
        body.get("state", "open"),
        messages,
        int(body.get("totalItems", len(messages))),
        body.get("prev"),
    )
