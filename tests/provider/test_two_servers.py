"""Two app servers over one PostgreSQL, as a provider runs them behind a load balancer: what one
server does, the other honours at once."""

from __future__ import annotations

import pytest
import requests

from pds.consent import Store
from pds.store import migrate
from tests.provider.provider_setup import (
    ProviderServer,
    Routed,
    new_pod,
    owner_of,
    vendor_granted,
)
from vendor_client import GrantRevoked
from vendor_client.dpop import make_proof

pytestmark = pytest.mark.postgresql
TEMPLATE = "https://pods.example/{pod}"
PROFILE = b'<#me> a <https://schema.org/Person> ; <https://schema.org/name> "Alex" .'


@pytest.fixture
def two_servers(postgresql_url, tmp_path):
    """Two servers, each with its own connections, caches and process state, sharing the
    database and the secret key, and one public address (the proxy's)."""
    stores = [Store.from_url(postgresql_url) for _ in range(2)]
    migrate(stores[0].engine)
    servers = [
        ProviderServer(
            store, tmp_path / str(n), TEMPLATE, secret_key="shared-secret-key", trusted_proxies=1
        )
        for n, store in enumerate(stores)
    ]
    yield servers
    for server, store in zip(servers, stores, strict=True):
        server.stop()
        store.dispose()


def _through(server: ProviderServer, session: requests.Session) -> None:
    """From now on `session` reaches the provider through `server`."""
    session.mount("https://", Routed(server.port, scheme="http"))


def test_revocation_through_one_server_is_refused_by_the_other(two_servers):
    one, two = two_servers
    pod = new_pod(one, "https://pods.example")
    owner = owner_of(one, pod)
    session = requests.Session()
    _through(one, session)
    vendor, grant = vendor_granted(pod, owner, session)
    _through(two, session)
    assert "Alex" in vendor.read("/profile", grant).serialize(format="turtle")
    # Server two has the pod open and its grant checked: revoke through server one.
    assert owner.post(f"{pod['url']}/owner/grants/{grant.id}/revoke").ok
    with pytest.raises(GrantRevoked):
        vendor.read("/profile", grant)


def test_a_proof_replayed_at_the_other_server_is_refused(two_servers):
    one, two = two_servers
    pod = new_pod(one, "https://pods.example")
    owner = owner_of(one, pod)
    session = requests.Session()
    _through(one, session)
    vendor, grant = vendor_granted(pod, owner, session)
    key = vendor.key
    url = f"{pod['url']}/data/profile"
    headers = {
        "Authorization": f"DPoP {grant.token}",
        "DPoP": make_proof(key, "GET", url, grant.token),
        "Accept": "text/turtle",
    }
    first = session.get(url, headers=headers)
    assert first.status_code == 200, first.text
    _through(two, session)
    replayed = session.get(url, headers=headers)
    assert replayed.status_code == 401
    assert replayed.json()["type"].endswith("#invalid-dpop-proof")
    # A fresh proof through server two works: only the replay was refused.
    headers["DPoP"] = make_proof(key, "GET", url, grant.token)
    assert session.get(url, headers=headers).status_code == 200


def test_a_pod_suspended_through_one_server_stops_on_the_other(two_servers):
    one, two = two_servers
    pod = new_pod(one, "https://pods.example")
    owner = owner_of(one, pod)
    _through(two, owner)
    assert owner.get(f"{pod['url']}/data/").status_code == 200  # server two has it open
    from tests.provider.provider_setup import admin

    assert admin(one.session()).post(f"https://pods.example/admin/pods/{pod['name']}/suspend").ok
    import time

    from pds.consent.provider import FRESH_FOR

    time.sleep(FRESH_FOR + 0.2)
    assert owner.get(f"{pod['url']}/data/").status_code == 403
