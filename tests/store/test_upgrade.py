"""Upgrading a database made by an old version of the pod, on each backend: nothing stored is
lost, the pod serves as before, and the schema ends as a new database's.

Nothing here names the latest revision: the tests go from the first migration to whatever
head the scripts have today.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from rdflib import Graph
from rdflib.compare import isomorphic

from pds.consent import InvalidCredentials, open_pod
from pds.store import Store, migrate
from pds.store.engine import MIGRATIONS, open_engine, run_migration_scripts, schema_revision
from tests.conftest import CHEAP_HASHER, PASSWORD
from tests.store.databases import new_postgresql_database
from tests.store.first_revision import OTHER_POD, REVISION, fill, rows_of

NewEngine = Callable[[str], sa.Engine]


@pytest.fixture
def new_engine(backend: str, tmp_path: Path, request) -> Iterator[NewEngine]:
    """Makes empty databases on the backend under test, each named for what it is for."""
    if backend == "postgresql":
        request.getfixturevalue("postgresql_url")  # skips (or fails in CI) without PostgreSQL
    with contextlib.ExitStack() as made:

        def new(name: str) -> sa.Engine:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
            else:
                url = made.enter_context(new_postgresql_database(f"pds_{name}"))
            engine = open_engine(url)
            made.callback(engine.dispose)  # before the database is dropped
            return engine

        yield new


def revisions_in_order() -> list[str]:
    """Every migration, from the first to the head."""
    scripts = ScriptDirectory(str(MIGRATIONS))
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


def schema_of(engine: sa.Engine) -> dict[str, dict[str, list]]:
    """Each table's columns, keys, indexes and constraints as the database reports them."""
    inspector = sa.inspect(engine)
    schema = {}
    for table in inspector.get_table_names():
        key = inspector.get_pk_constraint(table)
        foreign_keys = inspector.get_foreign_keys(table)
        schema[table] = {
            "columns": [
                (c["name"], c["type"].compile(engine.dialect), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ],
            "primary key": [tuple(key["constrained_columns"])],
            "primary key name": [key.get("name")],
            "indexes": [
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ],
            "unique constraints": [
                (u["name"], tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ],
            "foreign keys": [
                (tuple(f["constrained_columns"]), f["referred_table"], f["options"].get("ondelete"))
                for f in foreign_keys
            ],
        }
    return schema


def differences(
    migrated: dict[str, dict[str, list]], fresh: dict[str, dict[str, list]], parts: set[str]
) -> list[tuple[str, str, list, list]]:
    """(table, part, only in the migrated database, only in the new one) where they differ."""
    found = []
    for table in sorted(migrated.keys() | fresh.keys()):
        ours, theirs = migrated.get(table, {}), fresh.get(table, {})
        for part in sorted(parts):
            only_ours = [x for x in ours.get(part, []) if x not in theirs.get(part, [])]
            only_theirs = [x for x in theirs.get(part, []) if x not in ours.get(part, [])]
            if only_ours or only_theirs:
                found.append((table, part, only_ours, only_theirs))
    return found


STRUCTURE = {"columns", "primary key", "indexes", "unique constraints", "foreign keys"}


def stepped_and_new(new_engine: NewEngine) -> tuple[dict, dict]:
    """The schema after every migration in turn from the first, and a new database's."""
    stepped, fresh = new_engine("stepped"), new_engine("fresh")
    revisions = revisions_in_order()
    assert revisions[0] == REVISION and len(revisions) > 1
    for revision in revisions:
        run_migration_scripts(stepped, revision)
        assert schema_revision(stepped)[0] == revision
    migrate(fresh)  # empty: made at once from pds/store/tables.py
    assert schema_revision(fresh) == schema_revision(stepped)
    return schema_of(stepped), schema_of(fresh)


def test_a_pod_stored_by_the_first_version_keeps_every_row_and_still_serves_after_upgrade(
    new_engine,
):
    engine = new_engine("first")
    run_migration_scripts(engine, REVISION)
    assert schema_revision(engine)[0] == REVISION
    with engine.begin() as conn:
        first = fill(conn)
    with engine.connect() as conn:
        before = rows_of(conn)
    assert {table: len(rows) for table, rows in before.items()} == {
        "pods": 2,
        "resources": 4,
        "api_tokens": 2,
        "audit_events": 7,
    }

    migrate(engine)

    current, head = schema_revision(engine)
    assert current == head != REVISION
    with engine.connect() as conn:
        after = rows_of(conn)
    for table, rows in before.items():
        assert after[table] == rows, f"rows of {table} changed in the upgrade"
    pod = open_pod(Store(engine), first.pod.id, first.pod.base_url, password_hasher=CHEAP_HASHER)
    for path, turtle in first.documents.items():
        iri = f"{first.pod.base_url}/data{path}"
        expected = Graph().parse(data=turtle, format="turtle", publicID=iri)
        document = pod.data.document(path)
        assert document is not None, f"{path} is gone"
        assert isomorphic(document.graph, expected), f"{path} reads differently"
    pod.account.verify_password(PASSWORD)
    with pytest.raises(InvalidCredentials):
        pod.account.verify_password("not the owner's password")
    assert pod.account.authenticate_token(first.token).name == "backup script ✓"
    with pytest.raises(InvalidCredentials, match="revoked"):
        pod.account.authenticate_token(first.revoked_token)
    waiting = open_pod(Store(engine), OTHER_POD.id, OTHER_POD.base_url)
    assert not waiting.account.is_claimed()


def test_upgrading_one_revision_at_a_time_ends_with_the_schema_a_new_database_gets(new_engine):
    migrated, fresh = stepped_and_new(new_engine)

    assert migrated.keys() == fresh.keys()
    assert differences(migrated, fresh, STRUCTURE) == []


def test_upgrading_one_revision_at_a_time_names_the_primary_keys_as_a_new_database(new_engine):
    migrated, fresh = stepped_and_new(new_engine)

    assert differences(migrated, fresh, {"primary key name"}) == []


def test_the_schema_comparison_sees_an_index_or_a_column_that_differs(new_engine):
    one, other = new_engine("one"), new_engine("other")
    migrate(one)
    migrate(other)
    everything = STRUCTURE | {"primary key name"}
    assert differences(schema_of(one), schema_of(other), everything) == []

    with other.begin() as conn:
        conn.execute(sa.text("CREATE INDEX ix_pods_created_at ON pods (created_at)"))
    with one.begin() as conn:
        conn.execute(sa.text("ALTER TABLE pods ADD COLUMN motto VARCHAR(20)"))
    assert differences(schema_of(one), schema_of(other), everything) == [
        ("pods", "columns", [("motto", "VARCHAR(20)", True, None)], []),
        ("pods", "indexes", [], [("ix_pods_created_at", ("created_at",), False)]),
    ]
