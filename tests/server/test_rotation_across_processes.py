"""A key rotation never leaves a vendor holding a grant it cannot verify, however many processes
or servers sign for the pod over one database (protocol §2.3, §13.6).

Each run makes 50 grants over 5 s while the operator rotates the pod's key again and again
(before every second grant), each checked by a vendor that follows §2.3 and then used to read
through whichever process answers. The servers' key reload interval (30 s) and the publication
delay are scaled down together so that a run takes seconds; the JWKS max-age is not, so the
vendor's cached set stays fresh all run and it learns each new key only by the one re-fetch
§2.3 allows on an unknown kid. `test_the_default_publication_delay_outlasts_every_cache_of_the_jwks`
holds the unscaled values to the same rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from collections.abc import Iterator, Sequence

import jwt
import pytest
import requests

from pds import schemas
from pds.consent import Pod, open_pod
from pds.consent import keys as pod_keys
from pds.store import Store
from tests.conftest import CHEAP_HASHER
from tests.server.rotation_setup import (
    PodBehindBalancer,
    PodServeProcess,
    ProtocolVendor,
    approved_grant_token,
    as_grant,
    owner_session,
)
from vendor_client import VendorClientError

TRIES = 50
TRY_EVERY = 0.1  # seconds at least: the run spans several rotations taking effect
ROTATE_EVERY = 2  # grants
RELOAD_SECONDS = 1.0  # each server's key cache, scaled down from 30 s
# Scaled as the default is: longer than a reload, with room for a slow reload to finish.
PUBLICATION_DELAY = dt.timedelta(seconds=3)


def grants_verify_during_rotations(
    url: str, operator: Pod, owner: requests.Session, servers: Sequence[Pod] = ()
) -> None:
    """Make and check TRIES grants while `operator` (another process's view of the same pod)
    rotates the key. Fails with every grant that a vendor following §2.3 could not verify, or
    that the pod then refused, or whose key one of `servers` does not publish."""
    profile = schemas.sample_documents()["/profile"].encode()
    stored = owner.put(f"{url}/data/profile", data=profile, headers={"Content-Type": "text/turtle"})
    assert stored.status_code == 201, stored.text
    vendor = ProtocolVendor(url)
    failures, kids = [], set()
    started = time.monotonic()
    for attempt in range(TRIES):
        time.sleep(max(0.0, started + attempt * TRY_EVERY - time.monotonic()))
        if attempt % ROTATE_EVERY == 0:
            operator.rotate_keys(publication_delay=PUBLICATION_DELAY)
        client, token = approved_grant_token(url, owner, network=f"10.0.0.{attempt + 1}")
        kid = jwt.get_unverified_header(token)["kid"]
        kids.add(kid)
        for number, server in enumerate(servers):
            if kid not in {k["kid"] for k in server.jwks()["keys"]}:
                failures.append(f"grant {attempt}: server {number} does not publish {kid}")
        try:
            claims = vendor.verify(token)
            assert len(client.read("/profile", as_grant(token, claims))) > 0
        except (jwt.InvalidTokenError, VendorClientError) as exc:
            failures.append(f"grant {attempt} signed by {kid}: {exc}")

    assert failures == [], f"{len(failures)} failures in {TRIES} grants:\n" + "\n".join(failures)
    assert len(kids) >= 3, "rotations took effect during the run"
    assert vendor.fetches >= 2, "the vendor met a new kid and fetched the JWKS again"


@pytest.fixture
def settings(settings):
    # Behind one trusted proxy, as `PodServeProcess` is: vendors come from many networks.
    return dataclasses.replace(settings, trusted_proxies=1)


@pytest.fixture
def scaled_reload(monkeypatch) -> None:
    monkeypatch.setattr(pod_keys, "RELOAD_SECONDS", RELOAD_SECONDS)


@pytest.fixture
def two_workers(store: Store, pod_name: str, tmp_path) -> Iterator[PodServeProcess]:
    """`pds serve --workers 2` for a new pod in the test's database."""
    server = PodServeProcess(
        tmp_path / "data",
        workers=2,
        reload_seconds=RELOAD_SECONDS,
        database_url=store.engine.url.render_as_string(hide_password=False),
        pod_name=pod_name,
    )
    yield server
    server.stop()


def test_grants_verify_throughout_rotations_with_two_worker_processes(
    store, pod_name, two_workers, scaled_reload
):
    # Where the operator runs `pds keys rotate`: another process over the same database.
    operator = open_pod(store, pod_name, two_workers.url, password_hasher=CHEAP_HASHER)
    owner = owner_session(two_workers.url, operator)

    grants_verify_during_rotations(two_workers.url, operator, owner)


def test_grants_verify_throughout_rotations_with_two_servers_over_one_database(
    store, settings, scaled_reload
):
    servers = PodBehindBalancer(store, settings, servers=2)
    try:
        operator = open_pod(store, settings.pod, servers.url, password_hasher=CHEAP_HASHER)
        owner = owner_session(servers.url, operator)

        grants_verify_during_rotations(servers.url, operator, owner, servers.pods)
    finally:
        servers.stop()


def test_the_default_publication_delay_outlasts_every_cache_of_the_jwks(server):
    response = requests.get(f"{server.url}/.well-known/jwks.json", timeout=10)
    cache_control = re.fullmatch(r"public, max-age=(\d+)", response.headers["Cache-Control"])
    assert cache_control, response.headers["Cache-Control"]
    max_age = int(cache_control.group(1))

    # Each process serves the keys it read for up to RELOAD_SECONDS, and vendors and caches keep
    # the JWKS for max-age: a new key must reach both before anything is signed with it, with
    # time to spare for servers whose clocks differ.
    slack = pod_keys.PUBLICATION_DELAY - dt.timedelta(seconds=pod_keys.RELOAD_SECONDS + max_age)
    assert slack >= dt.timedelta(seconds=30)
    assert max_age == pod_keys.JWKS_MAX_AGE
