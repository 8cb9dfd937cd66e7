"""One HTTP request to a pod or a relay, as every part of the client sends it: a timeout, no
redirect followed, and an unsuccessful answer raised as the matching VendorClientError."""

from __future__ import annotations

from typing import Any

import requests

from vendor_client.errors import PodUnreachable, ProtocolError, error_for


def call(
    method: str,
    url: str,
    timeout: float,
    *,
    session: requests.Session | None = None,
    to: str = "the pod",
    **kwargs: Any,
) -> requests.Response:
    """The response to one request (2xx, or 304 to a conditional GET); `to` names the
    server in the message when it cannot be reached."""
    sender = session if session is not None else requests
    try:
        response = sender.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        raise PodUnreachable(f"cannot reach {to} at {url}: {exc}") from exc
    if response.status_code >= 400:
        raise error_for(response)
    if 300 <= response.status_code < 400 and response.status_code != 304:
        raise ProtocolError(f"unexpected redirect from {url}", response=response)
    return response
