"""The schema version servers check is the one the migration scripts end at."""

from pds.store.engine import SCHEMA_HEAD, migration_head, schema_revision


def test_the_servers_schema_head_is_the_last_migration():
    assert migration_head() == SCHEMA_HEAD


def test_a_migrated_store_is_at_the_head_on_each_backend(store):
    assert schema_revision(store.engine) == (SCHEMA_HEAD, SCHEMA_HEAD)
