"""Exceptions raised by the vendor client: one base class, each error carries the response.

VendorClientError
├── PodUnreachable        the pod could not be reached (network, DNS, timeout)
├── ProtocolError         the pod answered something this client cannot use
│   └── InvalidProof      the pod refused our DPoP proof (clock skew? wrong URL?)
├── AccessDenied          the grant does not cover this resource or mode (403)
├── GrantError            the grant itself no longer works
│   ├── GrantRevoked      the customer revoked it (or we gave it back)
│   └── GrantExpired      its time is up: ask again
├── RequestDenied         the customer said no to the access request
├── NotFound              nothing there (and the grant covers it), or not yours
├── IntentClosed          the intent takes no offers (paused, closed, past its last day)
├── ThreadClosed          the customer closed the conversation (or declined the offer)
├── ThreadFull            the conversation holds all it may: start a new one
├── TooLarge              the message or record is over the limit for its kind
└── RateLimited           slow down; `retry_after` says for how long
"""

from __future__ import annotations

from typing import Any

import requests


class VendorClientError(Exception):
    """Base class. `problem` is the pod's RFC 9457 problem details, when it sent one."""

    def __init__(
        self,
        message: str,
        *,
        response: requests.Response | None = None,
        problem: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.response = response
        self.problem = problem or {}

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None


class PodUnreachable(VendorClientError):
    pass


class ProtocolError(VendorClientError):
    pass


class InvalidProof(ProtocolError):
    pass


class AccessDenied(VendorClientError):
    pass


class GrantError(VendorClientError):
    pass


class GrantRevoked(GrantError):
    pass


class GrantExpired(GrantError):
    pass


class RequestDenied(VendorClientError):
    pass


class NotFound(VendorClientError):
    pass


class IntentClosed(VendorClientError):
    """The intent takes no offers: paused, closed, or past its last day."""


class ThreadClosed(VendorClientError):
    """The customer closed the conversation: it takes no more messages."""


class ThreadFull(VendorClientError):
    """The thread holds as many messages as a thread may: start a new one."""


class TooLarge(VendorClientError):
    """The message (or record) is over the pod's limit for its kind."""


class RateLimited(VendorClientError):
    def __init__(self, message: str, *, retry_after: int | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after


_BY_PROBLEM = {
    "grant-revoked": GrantRevoked,
    "grant-expired": GrantExpired,
    "invalid-grant": GrantError,
    "invalid-dpop-proof": InvalidProof,
    "insufficient-scope": AccessDenied,
    "not-found": NotFound,
    "request-not-found": NotFound,
    "intent-not-found": NotFound,
    "offer-not-found": NotFound,
    "intent-not-open": IntentClosed,
    "thread-not-found": NotFound,
    "thread-closed": ThreadClosed,
    "thread-full": ThreadFull,
    "too-large": TooLarge,
    "payload-too-large": TooLarge,
}


def error_for(response: requests.Response) -> VendorClientError:
    """The exception that describes an unsuccessful response from the pod."""
    problem: dict[str, Any] = {}
    if response.headers.get("Content-Type", "").startswith("application/problem+json"):
        try:
            problem = response.json()
        except ValueError:
            problem = {}
    slug = str(problem.get("type", "")).rpartition("#")[2]
    detail = problem.get("detail") or response.reason or "the pod refused the request"
    message = f"{response.status_code} {problem.get('title', response.reason)}: {detail}"
    if response.status_code == 429:
        retry = response.headers.get("Retry-After", "")
        return RateLimited(
            message,
            retry_after=int(retry) if retry.isdigit() else None,
            response=response,
            problem=problem,
        )
    cls = _BY_PROBLEM.get(slug)
    if cls is None:
        cls = AccessDenied if response.status_code == 403 else ProtocolError
    return cls(message, response=response, problem=problem)
