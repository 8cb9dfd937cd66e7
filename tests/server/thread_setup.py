"""What the conversation tests share: an offer to the published intent, vendors that listen
for the pod's notices, and what the pod stored."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from pds.store.tables import thread_messages
from tests.server.vendor_setup import EMAIL, Vendor, new_vendor
from vendor_client import SentOffer, VendorKey, send_offer


def offer(intent: dict, key: VendorKey, name: str = "Leeds Motors", **extra) -> SentOffer:
    return send_offer(
        intent,
        key,
        vendor={"name": name},
        summary="2019 Honda Jazz 1.3, automatic",
        price="12999.00",
        currency="GBP",
        valid_until=(dt.date.today() + dt.timedelta(days=14)).isoformat(),
        **extra,
    )


def stored_messages(server) -> int:
    with server.store.read() as conn:
        query = sa.select(sa.func.count()).where(thread_messages.c.pod_id == server.pod.id)
        return int(conn.execute(query).scalar_one())


def owner_threads(server, owner) -> dict:
    response = owner.get(f"{server.url}/owner/threads", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def listening_vendor(server, owner, callback: str) -> Vendor:
    """A vendor that holds a live grant (email addresses) with a callback."""
    vendor = new_vendor(server)
    pending = vendor.client.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}],
        purpose="https://w3id.org/dpv#ServiceProvision",
        description="to send your order confirmations",
        duration=dt.timedelta(days=1),
        vendor={"name": "Example Shop"},
        callback=callback,
    )
    owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve", timeout=10)
    vendor.grant = pending.wait(timeout=5)
    return vendor
