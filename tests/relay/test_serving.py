"""`run_relay` serves the relay with gunicorn as `pds relay` will: the same answers as the app,
and a pod that takes its time to answer an offer holds up no other request."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from tests.relay.relay_setup import JWT, Clock, intent, signed
from vendor_client import VendorKey

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_served_relay_answers_while_a_slow_pod_makes_an_offer_wait(tmp_path, pod):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    script = (
        "from pathlib import Path\n"
        "from pds.relay import RelaySettings, run_relay\n"
        f"run_relay(RelaySettings(data_dir=Path({str(tmp_path / 'data')!r}), port={port}, "
        "workers=1, allow_private_callbacks=True, log_level='WARNING'))\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                discovery = requests.get(f"{url}/.well-known/intent-relay", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "the relay did not start within 20 s"
                time.sleep(0.1)
        assert discovery.json()["relay"] == url
        assert (tmp_path / "data" / "relay.sqlite3").is_file()

        clock = Clock()
        token = signed(
            VendorKey.generate(),
            "intent-announcement+jwt",
            url,
            clock,
            intent=intent(clock),
            forward_to=pod.reply_address(),
        )
        assert requests.post(f"{url}/announcements", data=token, headers=JWT, timeout=10).ok
        [item] = requests.get(f"{url}/feed", timeout=10).json()["orderedItems"]

        pod.delay = 2.0
        offered: list[requests.Response] = []
        claims = {
            "aud": item["reply_to"],
            "iat": clock.stamp,
            "exp": clock.stamp + 300,
            "jti": "a-slow-offer",
            "intent": item["id"],
        }
        offer = VendorKey.generate().sign(claims, "pds-offer+jwt")
        sender = threading.Thread(
            target=lambda: offered.append(
                requests.post(item["reply_to"], data=offer, headers=JWT, timeout=10)
            )
        )
        sender.start()
        time.sleep(0.3)  # the offer is with the pod now
        started = time.monotonic()
        feed = requests.get(f"{url}/feed", timeout=10)
        feed_took = time.monotonic() - started
        sender.join(10)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)

    assert feed.status_code == 200 and feed_took < 1.0
    assert [o.status_code for o in offered] == [202]
    assert server.returncode == 0
