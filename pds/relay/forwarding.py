"""Requests the relay makes to a customer's pod on a vendor's behalf: offers and status polls
(docs/relay.md §7).

The pod's address came from an anonymous announcement, so it is treated like a vendor's
callback (protocol §13.4): resolved once per request, refused if any address is not public,
connected to at the address that was checked (TLS still verified against the name), no
redirects, short timeouts, and a bounded answer. The relay adds no header that says who the
vendor is: the pod learns only what the vendor signed.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from pds.consent import callbacks
from pds.consent.callbacks import DeliveryRefused
from pds.relay.errors import PodUnreachable

MAX_ANSWER = 65536  # bytes of a pod's answer the relay reads
MAX_THREAD_ANSWER = 524288  # a page of a conversation: 20 messages of 4000 characters
RELAY_REPLY_HEADER = "PDS-Relay-Reply"


@dataclasses.dataclass(frozen=True)
class PodAnswer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


def exchange(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None = None,
    allow_private: bool,
    max_answer: int = MAX_ANSWER,
) -> PodAnswer:
    """Send one request to the pod at `url`; PodUnreachable if it cannot be had."""
    import certifi  # imported here, as pds.consent.callbacks does: few workers forward
    import urllib3

    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        if allow_private:
            address = host
        elif parts.scheme != "https":
            raise DeliveryRefused("the pod's address is not https")
        else:
            address = callbacks.public_address(host)
    except DeliveryRefused as exc:
        raise PodUnreachable(f"the customer's pod cannot be reached: {_reason(exc)}") from None
    timeout = urllib3.Timeout(connect=callbacks.TIMEOUT[0], read=callbacks.TIMEOUT[1])
    pool: urllib3.HTTPConnectionPool
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            parts.port,
            timeout=timeout,
            retries=False,
            server_hostname=host,
            assert_hostname=host,
            ca_certs=certifi.where(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, parts.port, timeout=timeout, retries=False)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = {
        "Host": parts.netloc.rsplit("@", 1)[-1],
        "User-Agent": "pds-intent-relay",
        "Accept-Encoding": "identity",  # the answer is read bounded, as sent
        **headers,
    }
    try:
        response = pool.urlopen(
            method,
            target,
            body=body,
            headers=sent,
            redirect=False,
            assert_same_host=False,
            preload_content=False,
        )
        try:
            data = response.read(max_answer + 1)
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        raise PodUnreachable(f"the customer's pod did not answer: {type(exc).__name__}") from None
    finally:
        pool.close()
    if len(data) > max_answer:
        raise PodUnreachable(f"the customer's pod answered with more than {max_answer} bytes")
    return PodAnswer(response.status, {k.lower(): v for k, v in response.headers.items()}, data)


def _reason(error: DeliveryRefused) -> str:
    """Why, without naming the pod's host or address (the vendor must not learn them)."""
    text = str(error)
    if "non-public" in text:
        return "its address is not public"
    if "resolve" in text or "no address" in text:
        return "its name does not resolve"
    return "its address is refused"
