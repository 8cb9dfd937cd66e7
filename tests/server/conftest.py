"""Fixtures of the tests in tests/server: a customer's data, and vendors granted part of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pds import schemas
from tests.relay.relay_setup import Receiver
from tests.server.records_setup import dealer_with_records, insurer_listening
from tests.server.vendor_setup import EMAIL, INTENT, TURTLE, Vendor, granted, new_vendor


@pytest.fixture
def customer_data(server, owner) -> None:
    for path in ("/profile", "/preferences"):
        sample = schemas.sample_documents()[path]
        response = owner.put(f"{server.url}/data{path}", data=sample.encode(), headers=TURTLE)
        assert response.status_code == 201, response.text


@pytest.fixture
def reader(server, owner, customer_data) -> Vendor:
    """A vendor allowed to read the email addresses of the profile, and nothing else."""
    scopes = [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}]
    return granted(server, owner, new_vendor(server), scopes)


@pytest.fixture
def appender(server, owner, customer_data) -> Vendor:
    """A vendor allowed to read and append in its own container, with one record there."""
    vendor = new_vendor(server)
    own = f"/vendors/{vendor.id}/"
    granted(server, owner, vendor, [{"resource": own, "modes": ["read", "append"]}])
    vendor.client.append(
        own, '<#it> <https://schema.org/name> "Receipt 1" .', vendor.grant, slug="r1"
    )
    return vendor


@pytest.fixture
def published(server, owner, customer_data) -> dict:
    """The sample car intent, published: what vendors receive."""
    sample = schemas.sample_documents()[INTENT]
    response = owner.put(f"{server.url}/data{INTENT}", data=sample.encode(), headers=TURTLE)
    assert response.status_code == 201, response.text
    answer = owner.post(f"{server.url}/owner/intents/small-car/publish", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["published"]


# -- a dealer that keeps records, and an insurer that listens (records and sharing) ---------------


@pytest.fixture
def insurer_callback() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def dealer(server, owner) -> Vendor:
    """A car dealer that keeps two service visits in its own container."""
    return dealer_with_records(server, owner)


@pytest.fixture
def insurer(server, owner, insurer_callback) -> Vendor:
    """An insurer given the customer's email address once, with a callback."""
    return insurer_listening(server, owner, insurer_callback.callback)
