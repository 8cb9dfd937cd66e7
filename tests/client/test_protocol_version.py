"""The client speaks one protocol version and refuses a pod that announces another (§1.4)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import vendor_client
from vendor_client import PodClient, ProtocolError, VendorKey

DISCOVERY = "/.well-known/pds-configuration"


def announcing(version: str | None, app):
    """The pod's app, with `protocol_version` of its discovery document replaced (or gone)."""

    def wsgi(environ, start_response):
        if environ["PATH_INFO"] != DISCOVERY:
            return app(environ, start_response)
        captured = {}

        def keep(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)

        document = json.loads(b"".join(app(environ, keep)))
        if version is None:
            del document["protocol_version"]
        else:
            document["protocol_version"] = version
        body = json.dumps(document).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return wsgi


def ask(pod: PodClient):
    return pod.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": ["https://schema.org/email"]}],
        purpose="https://w3id.org/dpv#ServiceProvision",
        description="to send order confirmations",
        duration=dt.timedelta(days=1),
        vendor={"name": "Example Shop"},
    )


def test_the_client_speaks_the_protocol_version_the_pod_announces(server):
    config = PodClient(server.url, VendorKey.generate()).discover()
    assert config.raw["protocol_version"] == vendor_client.PROTOCOL_VERSION == "2026-11"


@pytest.mark.parametrize("announced", ["2027-05", "2026-10", None])
def test_a_pod_of_another_protocol_version_is_refused_before_anything_is_asked(
    server, owner, announced
):
    server._forward = announcing(announced, server.app.wsgi_app)
    pod = PodClient(server.url, VendorKey.generate())
    with pytest.raises(ProtocolError) as refused:
        ask(pod)
    assert repr(announced) in str(refused.value)
    assert "'2026-11'" in str(refused.value)
    listed = owner.get(f"{server.url}/owner/access-requests").json()["requests"]
    assert listed == [], "the refused pod got an access request all the same"
