"""The relay's limits against abuse (docs/relay.md §11), and counting per network without
keeping any address.

A network is an IPv4 address or the /64 of an IPv6 one. It is counted under a keyed hash
whose key exists only in the memory of the running server (made when the app is built, shared
by the workers forked from it): the counters in the database cannot be turned back into
addresses, nor linked to what was announced, and a restart starts every count afresh.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets

from pds.relay.errors import TooManyAttempts
from pds.relay.store import RelayStore

WINDOW = dt.timedelta(hours=1)


@dataclasses.dataclass(frozen=True)
class RelayLimits:
    """What the relay accepts; the defaults are those docs/relay.md gives."""

    announcements_per_network: int = 30  # per hour
    max_announcements: int = 100_000  # current announcements in all
    subscriptions_per_key: int = 20  # current subscriptions of one vendor key
    subscriptions_per_network: int = 20  # new subscriptions per hour
    subscription_days: int = 30  # a subscription ends this long after it was made
    offers_per_network: int = 10  # per hour, to one reply address
    polls_per_network: int = 240  # status polls per hour, through one reply address
    messages_per_network: int = 60  # per hour, into the threads behind one reply address
    thread_reads_per_network: int = 240  # per hour, of the threads behind one reply address
    page_size: int = 50
    max_page: int = 2000


def network(address: str | None) -> str:
    """The network a request came from (an IPv4 address, an IPv6 /64); "unknown" if none."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def window_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


class Limiter:
    """Fixed one-hour windows per (what, network), counted in the relay's database."""

    def __init__(self, store: RelayStore):
        self.store = store
        self._secret = secrets.token_bytes(32)

    def hit(self, what: str, client: str, limit: int, now: dt.datetime) -> None:
        """Count one attempt; TooManyAttempts once more than `limit` were made this hour.
        Refused attempts count too: a client that keeps trying keeps waiting."""
        bucket = hmac.new(self._secret, f"{what} {client}".encode(), hashlib.sha256).hexdigest()
        start = window_start(now)
        with self.store.begin() as conn:
            count = self.store.count(conn, bucket, start)
        if count > limit:
            wait = int((start + WINDOW - now).total_seconds()) + 1
            raise TooManyAttempts(f"at most {limit} {what} an hour from one network", wait)
