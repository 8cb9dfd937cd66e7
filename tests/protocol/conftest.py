"""Fixtures of the protocol tests: the story of docs/protocol.md, played by a client written
from the document alone.

The client (``independent_client``) uses jwcrypto, not PyJWT, and knows nothing of the server
code or of ``vendor_client``. The owner side is driven over HTTP through the owner API (§12).
Where the document and the pod disagree the test follows the document and is marked
``xfail(strict=True)`` with the mismatch in its reason.
"""

from __future__ import annotations

import dataclasses
import http.server
import threading
import time
from collections.abc import Iterator

import pytest
from rdflib import Graph, Literal, URIRef

from tests.protocol.helpers import PROFILE_TURTLE, SCHEMA, granted
from tests.protocol.independent_client import Grant, PodClient, VendorKey


@pytest.fixture
def settings(settings):
    """§10.1: a development pod (``PDS_ALLOW_PRIVATE_CALLBACKS=true``) takes loopback callbacks.

    The in-process test server is built from a ``Settings`` object, not the environment, so the
    setting is passed as the field of that name (found by listing the dataclass's fields).
    """
    return dataclasses.replace(settings, allow_private_callbacks=True)


class CallbackInbox:
    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []  # (Content-Type, body)
        self.lock = threading.Lock()
        inbox = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("ascii")
                with inbox.lock:
                    inbox.received.append((self.headers.get("Content-Type", ""), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/pds-events"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for item in self.received:
                    if predicate(item):
                        return item
            time.sleep(0.1)
        raise AssertionError(f"no matching notification within {timeout}s: {self.received}")


@pytest.fixture
def inbox() -> Iterator[CallbackInbox]:
    box = CallbackInbox()
    yield box
    box.httpd.shutdown()
    box.httpd.server_close()


@pytest.fixture
def profile(server, owner) -> Graph:
    """The owner writes a profile as Turtle through the data API (§12) and gets it back."""
    url = f"{server.url}/data/profile"
    response = owner.put(
        url, data=PROFILE_TURTLE.encode(), headers={"Content-Type": "text/turtle"}, timeout=10
    )
    assert response.status_code in (200, 201, 204), response.text
    stored = owner.get(url, headers={"Accept": "text/turtle"}, timeout=10)
    assert stored.status_code == 200, stored.text
    graph = Graph().parse(data=stored.text, format="turtle", publicID=url)
    assert (URIRef(f"{url}#me"), SCHEMA.email, Literal("alex@example.org")) in graph
    return graph


@pytest.fixture
def whole_profile(server, owner, profile) -> tuple[PodClient, Grant]:
    pod = PodClient(server.url, VendorKey.generate("Ed25519"))
    pod.discover()
    # §12: "{}" approves as asked.
    grant = granted(pod, server, owner, [{"resource": "/profile", "modes": ["read"]}], {})
    return pod, grant
