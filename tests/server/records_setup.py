"""What the tests of vendor records and sharing share: records of each kind, and vendors the
customer gave access to (a dealer that keeps records, an insurer that listens for notices)."""

from __future__ import annotations

import datetime as dt
import time

import requests
import sqlalchemy as sa

from pds.store import tables
from tests.server.vendor_setup import PURPOSE, TURTLE, Vendor, data_request, new_vendor, proof

SCHEMA = "https://schema.org/"
PDS = "https://w3id.org/vrm-pod/ns#"
PREFIXES = (
    "@prefix schema: <https://schema.org/> .\n"
    "@prefix pds: <https://w3id.org/vrm-pod/ns#> .\n"
    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
)
RECEIPT = PREFIXES + (
    '<#order> a schema:Order ; schema:orderNumber "SO-1042" ;\n'
    '    schema:orderDate "2026-11-23"^^xsd:date ; schema:description "Winter tyres, fitted" ;\n'
    '    schema:price 480.00 ; schema:priceCurrency "GBP" .\n'
)
WARRANTY = PREFIXES + (
    '<#warranty> a schema:WarrantyPromise ; schema:name "3 years parts and labour" ;\n'
    '    schema:validFrom "2026-11-23"^^xsd:date ; schema:validThrough "2029-11-22"^^xsd:date .\n'
)
SERVICE_2025 = PREFIXES + (
    '<#visit> a pds:ServiceRecord ; schema:name "Annual service" ;\n'
    '    schema:startDate "2025-03-10"^^xsd:date ; schema:description "Oil and filters" ;\n'
    "    pds:mileage 31000 .\n"
)
SERVICE_2026 = PREFIXES + (
    '<#visit> a pds:ServiceRecord ; schema:name "Annual service" ;\n'
    '    schema:startDate "2026-03-12"^^xsd:date ; schema:description "Brake pads replaced" ;\n'
    "    pds:mileage 48200 .\n"
)
WEEK = 7 * 86400


def known(
    server,
    owner,
    name: str,
    scopes: list[dict],
    callback: str | None = None,
    vendor: Vendor | None = None,
) -> Vendor:
    """A vendor (new unless given) that asked for `scopes` and was given them."""
    vendor = vendor or new_vendor(server)
    pending = vendor.client.request_access(
        scopes,
        purpose=PURPOSE,
        description="to look after your car",
        duration=dt.timedelta(days=30),
        vendor={"name": name},
        callback=callback,
    )
    approved = owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve")
    assert approved.status_code == 201, approved.text
    vendor.grant = pending.wait(timeout=10)
    return vendor


def dealer_with_records(server, owner) -> Vendor:
    """A car dealer that keeps its records in its own container: two service visits."""
    vendor = new_vendor(server)
    own = [{"resource": f"/vendors/{vendor.id}/", "modes": ["read", "append"]}]
    known(server, owner, "Example Motors", own, vendor=vendor)
    for slug, body in (("service-2025", SERVICE_2025), ("service-2026", SERVICE_2026)):
        vendor.client.append(f"/vendors/{vendor.id}/", body, vendor.grant, slug=slug)
    return vendor


def insurer_listening(server, owner, callback: str) -> Vendor:
    """An insurer that once asked for the customer's email address, with a callback."""
    scopes = [{"resource": "/profile", "modes": ["read"], "fields": [SCHEMA + "email"]}]
    return known(server, owner, "Example Insurance", scopes, callback=callback)


def append(server, vendor: Vendor, body: str, slug: str) -> requests.Response:
    url = f"{server.url}/data/vendors/{vendor.id}/"
    headers = {**TURTLE, "Slug": slug}
    return data_request(
        "POST", url, vendor.grant.token, proof(vendor, "POST", url), data=body, headers=headers
    )


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def counts(server) -> tuple[int, int]:
    """How many access requests and grants the pod holds."""
    with server.store.read() as conn:
        return tuple(
            conn.execute(sa.select(sa.func.count()).where(t.c.pod_id == server.pod.id)).scalar_one()
            for t in (tables.access_requests, tables.grants)
        )
