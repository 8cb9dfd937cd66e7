"""Each pod's request rate, and a schema a provider can distribute by pod."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.provider.conftest import PATHS
from tests.provider.provider_setup import ProviderServer, new_pod


@pytest.fixture
def limited(store, tmp_path):
    server = ProviderServer(store, tmp_path, PATHS, pod_requests_per_minute=20)
    yield server
    server.stop()


def test_a_busy_pod_is_held_to_its_rate_and_others_are_not(limited):
    busy, quiet = new_pod(limited, "http://pods.test"), new_pod(limited, "http://pods.test")
    client = limited.session()
    answers = [client.get(f"{busy['url']}/.well-known/pds-configuration") for _ in range(25)]
    statuses = [a.status_code for a in answers]
    assert statuses[:20] == [200] * 20
    refused = answers[-1]
    assert refused.status_code == 429
    assert refused.json()["type"].endswith("#rate-limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 5
    assert client.get(f"{quiet['url']}/.well-known/pds-configuration").status_code == 200
    # The provider's own endpoints are not a pod's requests.
    assert client.get("http://pods.test/admin/pods").status_code == 401


@pytest.mark.postgresql
def test_every_key_is_led_by_the_pod(postgresql_store):
    """Citus distributes a table by one column, which every primary key and unique constraint
    must hold: pod_id, first in each primary key. `pods` is the reference table."""
    inspector = sa.inspect(postgresql_store.engine)
    tables = [t for t in inspector.get_table_names() if t not in ("pods", "alembic_version")]
    assert len(tables) >= 13
    for table in tables:
        key = inspector.get_pk_constraint(table)["constrained_columns"]
        assert key[0] == "pod_id", (table, key)
        for unique in inspector.get_unique_constraints(table):
            assert "pod_id" in unique["column_names"], (table, unique)
        for index in inspector.get_indexes(table):
            if index["unique"]:
                assert "pod_id" in index["column_names"], (table, index)
        foreign = inspector.get_foreign_keys(table)
        assert any(
            fk["referred_table"] == "pods" and fk["constrained_columns"] == ["pod_id"]
            for fk in foreign
        ), table
