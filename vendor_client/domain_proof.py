"""Proving a domain to pods (protocol §18): the document a vendor serves on its website.

A pod shows a vendor as verified, with its domain, only when `https://<domain>/.well-known/
pds-vendor` (the domain of the `homepage` the vendor gives in its access requests) lists the
key that signed the request. Serve `domain_proof_json(key)` there as `application/json`, with
status 200 and no redirect, from the domain itself on port 443:

>>> key = VendorKey.generate()
>>> domain_proof(key) == {"vendor_ids": [key.thumbprint]}
True
>>> proof_url("shop.example")
'https://shop.example/.well-known/pds-vendor'

List every key the vendor uses (after a rotation, the old and the new, until the old key's
grants have ended). The document is public: it names keys, never secrets.
"""

from __future__ import annotations

import json

from vendor_client.keys import VendorKey

WELL_KNOWN_PATH = "/.well-known/pds-vendor"
MEDIA_TYPE = "application/json"
MAX_VENDOR_IDS = 100  # what pods read; a pod reads at most 16 KiB


def domain_proof(*keys: VendorKey) -> dict[str, list[str]]:
    """The proof document that lists `keys` by their vendor ids (RFC 7638 thumbprints)."""
    if not keys:
        raise ValueError("a domain proof lists at least one key")
    ids = list(dict.fromkeys(key.thumbprint for key in keys))
    if len(ids) > MAX_VENDOR_IDS:
        raise ValueError(f"a domain proof lists at most {MAX_VENDOR_IDS} keys")
    return {"vendor_ids": ids}


def domain_proof_json(*keys: VendorKey) -> str:
    """`domain_proof(*keys)` as the JSON text to serve at `proof_url(domain)`."""
    return json.dumps(domain_proof(*keys), separators=(",", ":"))


def proof_url(domain: str) -> str:
    """Where pods read the proof of `domain`, a host name in ASCII (an internationalized name
    in its `xn--` form, as IDNA 2008 writes it)."""
    if not domain.isascii():
        raise ValueError(f"give the domain in its ASCII (xn--) form, not {domain!r}")
    return f"https://{domain.rstrip('.').lower()}{WELL_KNOWN_PATH}"
