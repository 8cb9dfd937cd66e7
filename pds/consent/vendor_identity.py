"""A vendor proves its domain: the pod reads https://<domain>/.well-known/pds-vendor (§18).

The homepage in an access request is self-declared. The vendor proves that it runs that site by
publishing its key's thumbprint (its vendor id, §3.2) there, in a small JSON document:

    {"vendor_ids": ["_CNnzh6wzvbRG_OSLRl6LxWvxoiieRyp6dYx_kFc0Ng"]}

The pod reads it once per request, after the request is stored (so outside any transaction,
and only once the request passed the caps of §13.7), with the guard of vendors' callbacks
(pds.consent.callbacks, §13.4): a name that points to this machine or a private network is
never fetched, the name is resolved once and the pod connects to the address it checked, TLS
verified against the name. HTTPS on port 443 only, no redirects, JSON only, at most 16 KiB;
2 s to connect, 1.5 s a read, 3 s in all (checked between reads: at worst about 6 s).
Anything short of a document that lists the key means "unverified" and says why; it is never
an error for the vendor.

A development pod (`allow_private_callbacks`) may read vendors on this machine: localhost names
resolve to the loopback address (RFC 6761 §6.3), any port is allowed, and besides certifi it
trusts the system's CA store and OpenSSL's `SSL_CERT_FILE` (where mkcert, or a test, puts a
local CA).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
import ssl
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from pds.consent import callbacks
from pds.consent.domain_names import KnownDomain, ascii_domain, brands, shown_domain, warnings

log = logging.getLogger(__name__)

WELL_KNOWN_PATH = "/.well-known/pds-vendor"
MEDIA_TYPE = "application/json"
MAX_PROOF_BYTES = 16 * 1024
MAX_VENDOR_IDS = 100
CONNECT_TIMEOUT = 2.0  # seconds
READ_TIMEOUT = 1.5  # seconds for each read
DEADLINE = 3.0  # seconds for the whole answer: the vendor waits for its request's answer
# Special-use names that are never on the public internet (RFC 6761, 6762, 7686, 8375, 9476).
_NEVER_PUBLIC = ("example", "invalid", "test", "local", "localhost", "onion", "alt", "internal")
_DOCUMENTATION = ("example", "invalid")  # not fetched even by a development pod
_VENDOR_ID = re.compile(r"[A-Za-z0-9_-]{43}")


class ProofMissing(Exception):
    """The domain is not proven; the message says why, in words for the customer."""


@dataclasses.dataclass(frozen=True)
class Target:
    """Where the proof is read: the name (for TLS and Host), its port, the address to use, and
    whether a local CA is trusted too (a development pod)."""

    domain: str
    port: int
    address: str
    development: bool = False

    @property
    def host(self) -> str:
        return self.domain if self.port == 443 else f"{self.domain}:{self.port}"


def prove_domain(
    vendor_id: str, vendor: Mapping[str, Any], *, allow_private: bool, now: dt.datetime
) -> dict[str, Any]:
    """`vendor` (as `requests.vendor_info` checked it) with what its homepage proves.

    Adds `domain` (ASCII) when the homepage names one, `verified` (True only if the domain's
    proof lists `vendor_id`), `domain_checked_at`, and `domain_problem` when not verified. A
    vendor without a homepage is returned as it is.
    """
    homepage = vendor.get("homepage")
    if not isinstance(homepage, str):
        return dict(vendor)
    out = {**vendor, "verified": False, "domain_checked_at": now.isoformat()}
    try:
        parts = urlsplit(homepage)
        port = parts.port
    except ValueError:
        return {**out, "domain_problem": "the website address is not valid"}
    domain = ascii_domain(parts.hostname or "")
    if domain is None:
        return {**out, "domain_problem": "the website address does not name a domain"}
    out["domain"] = domain
    try:
        listed = read_proof(_target(parts.scheme, domain, port, allow_private=allow_private))
        if vendor_id not in listed:
            raise ProofMissing(f"{shown_domain(domain)} does not list this vendor's key")
    except ProofMissing as missing:
        log.info("the domain %s is not proven for vendor %s: %s", domain, vendor_id, missing)
        return {**out, "domain_problem": str(missing)}
    return {**out, "verified": True}


def _target(scheme: str, domain: str, port: int | None, *, allow_private: bool) -> Target:
    """Where to read the proof of `domain`, or ProofMissing if it may not be read at all."""
    if scheme != "https":
        raise ProofMissing("the website address is not https, so the pod does not check it")
    ending = domain.rsplit(".", 1)[-1]
    if ending in _DOCUMENTATION:
        raise ProofMissing(f"{domain} is a name reserved for examples and tests")
    local = domain == "localhost" or domain.endswith(".localhost")
    if allow_private:  # a development pod and vendors on this machine: no pinning to do
        return Target(domain, port or 443, "127.0.0.1" if local else domain, development=True)
    if callbacks.names_private_host(domain) or ending in _NEVER_PUBLIC or "." not in domain:
        raise ProofMissing(f"{domain} is not a public domain name")
    if port not in (None, 443):
        raise ProofMissing("the proof is read on the standard HTTPS port (443) only")
    try:
        address = callbacks.public_address(domain)
    except callbacks.DeliveryRefused as refused:
        raise ProofMissing(str(refused)) from None
    return Target(domain, 443, address)


def read_proof(target: Target) -> frozenset[str]:
    """The vendor ids the proof document at `target` lists, or ProofMissing."""
    # Imported here, as for callbacks: most requests name no homepage.
    import certifi
    import urllib3

    context = ssl.create_default_context(cafile=certifi.where())
    if target.development:
        context.load_default_certs()  # the system's store and SSL_CERT_FILE: a local CA
    pool = urllib3.HTTPSConnectionPool(
        target.address,
        target.port,
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
        retries=False,
        server_hostname=target.domain,  # TLS is checked against the name, not the address
        assert_hostname=target.domain,
        ssl_context=context,
    )
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "GET",
            WELL_KNOWN_PATH,
            headers={
                "Host": target.host,
                "Accept": MEDIA_TYPE,
                "Accept-Encoding": "identity",
                "User-Agent": "vrm-pod (domain proof, protocol section 18)",
            },
            redirect=False,
            assert_same_host=False,
            preload_content=False,
            decode_content=False,
        )
        try:
            body = _body(response, started)
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        log.info("reading %s%s failed: %s", target.host, WELL_KNOWN_PATH, exc)
        raise ProofMissing(_failure(exc, target.domain)) from None
    finally:
        pool.close()
    return vendor_ids(body)


def _body(response: Any, started: float) -> bytes:
    """The answer's body if it is a proof's (200, JSON, small, in time), else ProofMissing."""
    if 300 <= response.status < 400:
        raise ProofMissing("the site answered with a redirect, which the pod does not follow")
    if response.status != 200:
        raise ProofMissing(f"the site answered {response.status} instead of the proof")
    media_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if media_type != MEDIA_TYPE:
        raise ProofMissing(f"the proof is not JSON (it is {media_type or 'untyped'})")
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        raise ProofMissing("the proof is compressed, though the pod asked for it plain")
    too_large = ProofMissing(f"the proof is larger than {MAX_PROOF_BYTES // 1024} KiB")
    if int(response.headers.get("Content-Length") or 0) > MAX_PROOF_BYTES:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(4096):
        size += len(chunk)
        if size > MAX_PROOF_BYTES:
            raise too_large
        if time.monotonic() - started > DEADLINE:
            raise ProofMissing(f"the site took more than {DEADLINE:g} s to answer")
        chunks.append(chunk)
    return b"".join(chunks)


def vendor_ids(body: bytes) -> frozenset[str]:
    """The `vendor_ids` of a proof document (§18.1), or ProofMissing if it is not one."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise ProofMissing("the proof is not valid JSON") from None
    ids = document.get("vendor_ids") if isinstance(document, dict) else None
    if (
        not isinstance(ids, list)
        or len(ids) > MAX_VENDOR_IDS
        or not all(isinstance(i, str) and _VENDOR_ID.fullmatch(i) for i in ids)
    ):
        raise ProofMissing(f"the proof does not list at most {MAX_VENDOR_IDS} vendor ids")
    return frozenset(ids)


def _failure(exc: Exception, domain: str) -> str:
    """What went wrong with the connection, in words for the customer (the log has the rest)."""
    import urllib3

    shown = shown_domain(domain)
    if isinstance(exc, urllib3.exceptions.SSLError):
        return f"{shown} could not be reached securely (https failed)"
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return f"{shown} did not answer in time"
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return f"the connection to {shown} broke off"
    return f"{shown} could not be reached"


def domain_of(vendor: Mapping[str, Any]) -> str | None:
    """The domain a vendor's info names (ASCII): the one its proof was checked for, else its
    homepage's (a request stored before domains were checked)."""
    domain = vendor.get("domain")
    if isinstance(domain, str):
        return domain
    homepage = vendor.get("homepage")
    try:
        host = urlsplit(homepage).hostname if isinstance(homepage, str) else None
    except ValueError:
        return None
    return ascii_domain(host) if host else None


def known_domains(grants: Iterable[Any]) -> list[KnownDomain]:
    """The domains a vendor's could be mistaken for: those of every vendor the customer has
    granted (any object with `vendor_id` and `vendor`), then the well-known brands."""
    known = []
    for grant in grants:
        domain = domain_of(grant.vendor)
        if domain:
            known.append(KnownDomain(domain, str(grant.vendor.get("name", "")), grant.vendor_id))
    return [*known, *brands()]


def looks_like_another(vendor_id: str, vendor: Mapping[str, Any], known: list[KnownDomain]) -> bool:
    """Whether the vendor's website draws a serious warning (a look-alike of a known domain,
    letters mixed from several scripts): then the customer must see it before anything is given."""
    domain = domain_of(vendor)
    if domain is None:
        return False
    verified = bool(vendor.get("verified"))
    return any(w.serious for w in warnings(domain, vendor_id, verified, known))
