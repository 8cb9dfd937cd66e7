from __future__ import annotations

import pytest

from tests.provider.provider_setup import ProviderServer

PATHS = "http://pods.test/{pod}"
HOSTS = "http://{pod}.pods.test"


@pytest.fixture
def provider(store, tmp_path):
    """A provider's server, pods at path prefixes: http://pods.test/<name>."""
    server = ProviderServer(store, tmp_path, PATHS)
    yield server
    server.stop()


@pytest.fixture
def by_host(store, tmp_path):
    """A provider's server, pods at host names: http://<name>.pods.test."""
    server = ProviderServer(store, tmp_path, HOSTS)
    yield server
    server.stop()
