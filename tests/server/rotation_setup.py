"""One pod served by several servers over one database, and a vendor that checks grants as the
protocol says: for the tests of key rotation.

- `PodBehindBalancer`: N copies of the real app, each with its own `Pod` (its own key cache,
  as separate servers have), behind one loopback address that hands each request to one of them
  at random, as a load balancer in front of a provider's app servers does.
- `PodServeProcess`: `pds serve --workers N` in a real process group.
- `ProtocolVendor`: §2.3 to the letter: the JWKS is cached for as long as its Cache-Control
  `max-age` allows, and fetched again, once, on a `kid` it does not hold.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import jwt
import requests
from werkzeug.serving import make_server

from pds.consent import Pod, open_pod
from pds.server import create_app
from pds.settings import Settings
from pds.store import Store
from tests.conftest import CHEAP_HASHER, PASSWORD, free_base_url
from vendor_client import Grant, PodClient, VendorKey

GRANT_TYP = "pds-grant+jwt"
PURPOSE = "https://w3id.org/dpv#ServiceProvision"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PodBehindBalancer:
    """`servers` copies of the app for one pod over one store, behind one loopback address."""

    def __init__(self, store: Store, settings: Settings, servers: int = 2):
        self.server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        free_base_url(store, self.url)
        settings = Settings(
            **{**settings.__dict__, "base_url": self.url, "port": self.server.server_port}
        )
        self.pods: list[Pod] = [
            open_pod(store, settings.pod, self.url, password_hasher=CHEAP_HASHER)
            for _ in range(servers)
        ]
        self.apps = [create_app(settings, pod=pod).wsgi_app for pod in self.pods]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def _dispatch(self, environ, start_response):
        return random.choice(self.apps)(environ, start_response)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# `pds serve` as a self-hoster runs it, but with the key cache's reload interval scaled down
# from 30 s: the first argument is the interval in seconds.
_SCALED_SERVE = (
    "import sys; import pds.consent.keys as keys; keys.RELOAD_SECONDS = float(sys.argv.pop(1)); "
    "from pds.cli import main; main(prog_name='pds')"
)


class PodServeProcess:
    """`pds serve --workers N` on a free loopback port, its workers in one process group."""

    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int,
        reload_seconds: float,
        database_url: str,
        pod_name: str,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"serve-{self.port}.log"
        args = ["--data-dir", str(data_dir), "serve", "--port", str(self.port)]
        args += ["--workers", str(workers), "--log-level", "WARNING"]
        # Behind one trusted proxy, so that vendors can come from several networks over loopback.
        args += ["--trusted-proxies", "1"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
        env |= {"PDS_POD": pod_name, "PDS_DATABASE_URL": database_url}
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _SCALED_SERVE, str(reload_seconds), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=data_dir.parent,
                start_new_session=True,
            )
        try:
            self._wait_until_up()
        except BaseException:
            self.stop()
            raise

    def _wait_until_up(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"pds serve exited:\n{self.log.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"pds serve did not answer:\n{self.log.read_text()}")
            try:
                requests.get(f"{self.url}/owner", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def owner_session(url: str, pod: Pod) -> requests.Session:
    """Claim the pod served at `url` and return a session with an owner API token."""
    code = pod.account.issue_setup_code()
    claimed = requests.post(
        f"{url}/owner/claim", json={"setup_code": code, "password": PASSWORD}, timeout=10
    )
    assert claimed.status_code == 201, claimed.text
    made = requests.post(
        f"{url}/owner/tokens", json={"name": "rotation"}, auth=("owner", PASSWORD), timeout=10
    )
    assert made.status_code == 201, made.text
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {made.json()['token']}"
    return session


class ProtocolVendor:
    """A vendor that checks the pod's grants exactly as protocol §2.3 and §6.2 say."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        configuration = requests.get(f"{base_url}/.well-known/pds-configuration", timeout=10)
        self.jwks_uri: str = configuration.json()["jwks_uri"]
        self._keys: dict[str, dict[str, Any]] = {}
        self._fresh_until = 0.0
        self.fetches = 0

    def _fetch(self) -> None:
        # A new connection each time: fetches are minutes apart, and behind a load balancer
        # each may reach another server.
        response = requests.get(self.jwks_uri, timeout=10)
        response.raise_for_status()
        match = re.search(r"max-age=(\d+)", response.headers.get("Cache-Control", ""))
        self._fresh_until = time.monotonic() + (int(match.group(1)) if match else 0)
        self._keys = {k["kid"]: k for k in response.json()["keys"]}
        self.fetches += 1

    def _key(self, kid: str) -> dict[str, Any] | None:
        if time.monotonic() >= self._fresh_until:
            self._fetch()
        if kid not in self._keys:
            self._fetch()  # once: a rotated key, or the signature is bad
        return self._keys.get(kid)

    def verify(self, token: str) -> dict[str, Any]:
        """The grant's claims; jwt.InvalidTokenError if it does not verify."""
        header = jwt.get_unverified_header(token)
        if header.get("typ") != GRANT_TYP:
            raise jwt.InvalidTokenError(f"typ {header.get('typ')!r}")
        kid = header.get("kid")
        jwk = self._key(kid) if isinstance(kid, str) else None
        if jwk is None:
            raise jwt.InvalidTokenError(f"no key {kid!r} in the pod's JWKS")
        return jwt.decode(
            token,
            jwt.PyJWK(jwk).key,
            algorithms=["EdDSA"],
            issuer=self.base_url,
            audience=self.base_url,
            leeway=30,
        )


def approved_grant_token(
    url: str, owner: requests.Session, network: str | None = None
) -> tuple[PodClient, str]:
    """A new vendor asks to read the profile and the owner approves: the vendor and the grant
    the pod signed, as the vendor fetched it, not yet checked. `network`: the vendor's address
    as a trusted proxy reports it (the pod caps requests per network)."""
    session = requests.Session()
    if network:
        session.headers["X-Forwarded-For"] = network
    client = PodClient(url, VendorKey.generate(), session=session)
    pending = client.request_access(
        [{"resource": "/profile", "modes": ["read"]}],
        purpose=PURPOSE,
        description="to deliver your orders",
        duration=dt.timedelta(days=1),
        vendor={"name": "Rotating Shop"},
    )
    approved = owner.post(f"{url}/owner/access-requests/{pending.id}/approve", timeout=10)
    assert approved.ok, approved.text
    state = pending.status()
    assert state["status"] == "approved", state
    return client, state["grant"]


def as_grant(token: str, claims: dict[str, Any]) -> Grant:
    return Grant(
        id=claims["jti"],
        token=token,
        scopes=claims["scopes"],
        expires_at=dt.datetime.fromtimestamp(claims["exp"], dt.UTC),
        receipt="",
    )
