"""Vendors' callback URLs: where the pod may send notifications (SSRF, §13.4).

Checked twice. When a request names a callback, nothing is resolved, but a host that names this
machine or a non-public network by itself is refused: `localhost` names and IP literals in every
form a resolver reads (`127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`, `[::1]`). When a
notification is delivered, the name is resolved once, every address must be public, and the pod
connects to the address it checked (not to a second lookup, which DNS rebinding could change),
with TLS still verified against the name.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
from urllib.parse import urlsplit

from pds.consent.errors import InvalidInput

MAX_URL = 2048
TIMEOUT = (3, 5)  # seconds to connect, to read the answer
_NUMERIC_V4 = re.compile(r"[0-9a-fx.]+")  # the shapes inet_aton reads: 127.1, 0x7f.1, 0177.0.0.1

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class DeliveryRefused(Exception):
    """The callback cannot be used now: unresolvable, or not a public address."""


def check_callback(raw: object, *, allow_private: bool) -> str | None:
    """The callback URL of an access request, or None; InvalidInput if it may not be used."""
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > MAX_URL:
        raise InvalidInput(f"callback must be a URL of at most {MAX_URL} characters")
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError as exc:
        raise InvalidInput(f"callback is not a valid URL: {exc}") from None
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed or not parts.hostname or parts.username or parts.password:
        raise InvalidInput("callback must be an https URL without credentials")
    if not allow_private and names_private_host(parts.hostname):
        raise InvalidInput("callback must not point to a private or local address")
    return raw


def names_private_host(host: str) -> bool:
    """Whether `host`, unresolved, names this machine or a non-public network."""
    name = host.rstrip(".").lower()
    if name in ("", "localhost", "localhost.localdomain") or name.endswith(".localhost"):
        return True
    address = ip_literal(name)
    return address is not None and not is_public(address)


def ip_literal(name: str) -> Address | None:
    """The address `name` is, if it is an IP literal in any form a resolver would read."""
    try:
        return ipaddress.ip_address(name.split("%", 1)[0])  # an IPv6 zone (%eth0) aside
    except ValueError:
        pass
    if _NUMERIC_V4.fullmatch(name):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    return None


def is_public(address: Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 is 127.0.0.1
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast


def public_address(host: str) -> str:
    """Resolve `host` once; its first address if every address is public, else refuse."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise DeliveryRefused(f"cannot resolve {host}: {exc}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    for address in addresses:
        if not is_public(address):
            raise DeliveryRefused(f"{host} resolves to a non-public address ({address})")
    if not addresses:
        raise DeliveryRefused(f"{host} has no address")
    return str(addresses[0])


def post(url: str, body: str, media_type: str, *, allow_private: bool) -> bytes:
    """POST `body` to `url` (a vendor's callback, a relay); its answer's body if 2xx, else
    DeliveryRefused with the status and the problem's detail."""
    # Imported here: most workers never deliver anything, and these cost some MB each.
    import certifi
    import urllib3

    parts = urlsplit(url)
    host = parts.hostname or ""
    if allow_private:  # a development pod, vendors on this machine: no pinning to do
        address = host
    elif parts.scheme != "https":
        raise DeliveryRefused("callbacks must be https")
    else:
        address = public_address(host)
    timeout = urllib3.Timeout(connect=TIMEOUT[0], read=TIMEOUT[1])
    pool: urllib3.HTTPConnectionPool
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            parts.port,
            timeout=timeout,
            retries=False,
            server_hostname=host,  # TLS is checked against the name, not the address
            assert_hostname=host,
            ca_certs=certifi.where(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, parts.port, timeout=timeout, retries=False)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        response = pool.urlopen(
            "POST",
            target,
            body=body.encode(),
            headers={"Host": parts.netloc.rsplit("@", 1)[-1], "Content-Type": media_type},
            redirect=False,
            assert_same_host=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        raise DeliveryRefused(f"the callback could not be reached: {exc}") from None
    finally:
        pool.close()
    if not 200 <= response.status < 300:
        raise DeliveryRefused(f"the callback answered {response.status}{_detail(response.data)}")
    return bytes(response.data)


def _detail(body: bytes) -> str:
    """`: <detail>` of a problem details body, short, if there is one."""
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return ""
    return f": {str(detail)[:200]}" if detail else ""
