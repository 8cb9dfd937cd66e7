"""Callback URLs (§13.4): names of this machine and private networks are refused before any
lookup, in every form a resolver reads; delivery resolves once and connects to what it checked."""

from __future__ import annotations

import http.server
import threading

import pytest

from pds.consent import callbacks
from pds.consent.callbacks import DeliveryRefused
from pds.consent.errors import InvalidInput

LOCAL = [
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "localhost.",
    "LOCALHOST",
    "x.localhost",
    "0.0.0.0",  # noqa: S104 - a callback host, never bound
    "10.1",
    "192.168.1.1",
    "169.254.169.254",
    "::1",
    "fe80::1%eth0",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "fc00::1",
    "224.0.0.1",
]
PUBLIC_OR_NAMES = [
    "vendor.example",
    "8.8.8.8",
    "2001:4860:4860::8888",
    "cafe.example",
    "deadbeef.example",
    "0x7f000001.example",
]


@pytest.mark.parametrize("host", LOCAL)
def test_a_host_naming_this_machine_or_a_private_network_is_refused_unresolved(host):
    assert callbacks.names_private_host(host)
    url_host = f"[{host.replace('%', '%25')}]" if ":" in host else host
    with pytest.raises(InvalidInput, match="private or local"):
        callbacks.check_callback(f"https://{url_host}/hook", allow_private=False)


@pytest.mark.parametrize("host", PUBLIC_OR_NAMES)
def test_public_addresses_and_names_pass_until_they_are_resolved(host):
    assert not callbacks.names_private_host(host)


def test_delivery_refuses_a_name_that_resolves_to_this_machine():
    with pytest.raises(DeliveryRefused, match="non-public address"):
        callbacks.post("https://localhost:9/hook", "x", "application/jwt", allow_private=False)


def test_delivery_refuses_plain_http_outside_development():
    with pytest.raises(DeliveryRefused, match="https"):
        callbacks.post("http://vendor.example/hook", "x", "application/jwt", allow_private=False)


class Receiver:
    """A vendor's callback on loopback that records what it gets and answers `status`."""

    def __init__(self, status: int = 204):
        self.received: list[tuple[str, dict, bytes]] = []
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, dict(self.headers), body))
                self.send_response(status)
                if status in (301, 302, 307):
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_delivery_posts_the_body_to_the_path_and_query_with_the_host_header():
    receiver = Receiver()
    try:
        callbacks.post(
            f"{receiver.url}/hooks/pod?x=1", "a.b.c", "application/jwt", allow_private=True
        )
    finally:
        receiver.close()
    [(path, headers, body)] = receiver.received
    assert (path, body) == ("/hooks/pod?x=1", b"a.b.c")
    assert headers["Content-Type"] == "application/jwt"
    assert headers["Host"] == receiver.url.removeprefix("http://")


@pytest.mark.parametrize("status", [302, 307, 400, 500])
def test_delivery_follows_no_redirect_and_counts_only_2xx(status):
    receiver = Receiver(status)
    try:
        with pytest.raises(DeliveryRefused, match=f"answered {status}"):
            callbacks.post(f"{receiver.url}/hook", "x", "application/jwt", allow_private=True)
    finally:
        receiver.close()
    assert len(receiver.received) == 1


def test_delivery_to_a_closed_port_is_a_refusal_not_a_crash():
    with pytest.raises(DeliveryRefused, match="could not be reached"):
        callbacks.post("http://127.0.0.1:9/hook", "x", "application/jwt", allow_private=True)
