"""The car dealer example finds a customer's intent at a relay, offers, and learns the customer's
name when the customer accepts: the personal RFP from the vendor's side, as a script."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from pds import schemas

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "car_dealer.py"
TURTLE = {"Content-Type": "text/turtle"}


@pytest.fixture
def settings(settings):
    return type(settings)(**{**settings.__dict__, "allow_private_callbacks": True})


@pytest.fixture
def relay(loopback_relay):
    return loopback_relay


def test_the_car_dealer_offers_through_the_relay_and_meets_the_customer_who_accepts(
    server, owner, relay, tmp_path
):
    for path in ("/profile", "/intents/small-car"):
        sample = schemas.sample_documents()[path].encode()
        assert owner.put(f"{server.url}/data{path}", data=sample, headers=TURTLE).ok
    assert owner.put(f"{server.url}/owner/relays", json={"relays": [relay.url]}).ok
    published = owner.post(f"{server.url}/owner/intents/small-car/publish").json()
    assert published["announced"][0]["error"] is None

    dealer = subprocess.Popen(
        [
            sys.executable,
            str(SCRIPT),
            relay.url,
            *("--key", str(tmp_path / "dealer.pem"), "--name", "Leeds Motors"),
            *("--price", "12999.00", "--offer", "2019 Honda Jazz, automatic", "--wait", "30"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        offers: list = []
        while not offers and time.monotonic() < deadline:
            offers = owner.get(f"{server.url}/owner/intents/small-car/offers").json()["offers"]
            time.sleep(0.1)
        assert offers, "the dealer never offered"
        accepted = owner.post(
            f"{server.url}/owner/offers/{offers[0]['id']}/accept",
            json={"fields": ["https://schema.org/name", "https://schema.org/email"]},
        )
        assert accepted.status_code == 201, accepted.text
        output, _ = dealer.communicate(timeout=40)
    finally:
        dealer.kill()
    assert dealer.returncode == 0, output
    assert "offered for 'A small reliable car'" in output
    assert "accepted by Alex Example <alex.example@example.org, alex@example.org>" in output
