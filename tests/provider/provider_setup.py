"""A provider's server on loopback: every pod of one database, each at its own URL.

Pods live at `http://pods.test/<name>` (path form) or `http://<name>.pods.test` (host form),
names no resolver knows: `Routed` sends such requests to the server's loopback port with the
Host header the client wrote, as a reverse proxy would.
"""

from __future__ import annotations

import secrets
import threading
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from werkzeug.serving import make_server

from pds.consent import Provider, Store
from pds.server import create_app
from pds.settings import Settings
from tests.conftest import CHEAP_HASHER, PASSWORD

ADMIN_TOKEN = "admin-" + secrets.token_urlsafe(32)


class ProviderServer:
    def __init__(self, store: Store, tmp_path, template: str, **settings):
        self.store = store
        self.server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.port = self.server.server_port
        self.template = template
        self.settings = Settings(
            data_dir=tmp_path / "data",
            secret_key=settings.pop("secret_key", "provider-secret-" + secrets.token_hex(8)),
            provider_url=template,
            admin_token=ADMIN_TOKEN,
            port=self.port,
            **settings,
        )
        self.provider = Provider(
            store,
            template,
            default_quota=self.settings.pod_quota_bytes or None,
            password_hasher=CHEAP_HASHER,
            allow_private_callbacks=self.settings.allow_private_callbacks,
        )
        self.app = create_app(self.settings, provider=self.provider)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def _dispatch(self, environ, start_response):
        return self.app.wsgi_app(environ, start_response)

    def session(self) -> requests.Session:
        """A client of this server for any URL of the provider's (https as if through a proxy
        that terminates TLS)."""
        session = requests.Session()
        session.mount("http://", Routed(self.port))
        session.mount("https://", Routed(self.port, scheme="http"))
        return session

    def stop(self) -> None:
        self.provider.deliverer.stop()
        self.server.shutdown()
        self.server.server_close()


class Routed(HTTPAdapter):
    """Sends every request to 127.0.0.1:`port`, keeping the Host the client addressed."""

    def __init__(self, port: int, scheme: str | None = None):
        super().__init__()
        self.port = port
        self.scheme = scheme  # "http": a TLS-terminating proxy's plain HTTP to the server

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        request.headers["Host"] = parts.netloc
        if self.scheme is not None and self.scheme != parts.scheme:
            request.headers["X-Forwarded-Proto"] = parts.scheme
            parts = parts._replace(scheme=self.scheme)
        request.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.port}"))
        return super().send(request, **kwargs)


def admin(session: requests.Session) -> requests.Session:
    session.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
    return session


def new_pod(server: ProviderServer, admin_url: str, **body) -> dict:
    name = body.pop("name", None) or f"p{secrets.token_hex(5)}"
    created = admin(server.session()).post(f"{admin_url}/admin/pods", json={"name": name, **body})
    assert created.status_code == 201, created.text
    return created.json()


def owner_of(server: ProviderServer, pod: dict) -> requests.Session:
    """Claim `pod` with its setup code and return a session with an owner API token."""
    client = server.session()
    claimed = client.post(
        f"{pod['url']}/owner/claim", json={"setup_code": pod["setup_code"], "password": PASSWORD}
    )
    assert claimed.status_code == 201, claimed.text
    token = client.post(f"{pod['url']}/owner/tokens", json={"name": "t"}, auth=("owner", PASSWORD))
    assert token.status_code == 201, token.text
    owner = server.session()
    owner.headers["Authorization"] = f"Bearer {token.json()['token']}"
    return owner


PROFILE = b'<#me> a <https://schema.org/Person> ; <https://schema.org/name> "Alex" .'


def vendor_granted(pod: dict, owner: requests.Session, session: requests.Session):
    """The owner stores a profile; a new vendor (reaching the provider through `session`) asks
    to read it and is approved. Returns the vendor's client and its grant."""
    import datetime as dt

    from vendor_client import PodClient, VendorKey

    stored = owner.put(
        f"{pod['url']}/data/profile", data=PROFILE, headers={"Content-Type": "text/turtle"}
    )
    assert stored.ok, stored.text
    vendor = PodClient(pod["url"], VendorKey.generate(), session=session)
    pending = vendor.request_access(
        [{"resource": "/profile", "modes": ["read"]}],
        purpose="https://w3id.org/dpv#ServiceProvision",
        description="to read the profile",
        duration=dt.timedelta(days=1),
        vendor={"name": "Shop"},
    )
    assert owner.post(f"{pod['url']}/owner/access-requests/{pending.id}/approve").ok
    return vendor, pending.wait(timeout=5)
