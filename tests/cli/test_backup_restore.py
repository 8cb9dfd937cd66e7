"""`pds backup` and `pds restore` as an operator runs them, on each backend: a backup taken
while `pds serve` runs and writes, restored into an empty database that then serves the same
pod; and the refusals, which leave the target exactly as it was."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from rdflib import Graph
from rdflib.compare import isomorphic

from pds.store import Store
from pds.store.engine import open_engine, run_migration_scripts, schema_revision
from tests.cli.cli_setup import (
    PDS,
    SETUP_CODE,
    clean_env,
    free_port,
    ok,
    one_line_error,
    pod_of,
    start_serving,
    stop,
    wait_until_served,
)
from tests.conftest import PASSWORD
from tests.store.databases import new_postgresql_database
from tests.store.first_revision import OWNER_POD
from tests.store.first_revision import REVISION as FIRST_REVISION
from tests.store.first_revision import fill as fill_first_revision

TURTLE = {"Content-Type": "text/turtle"}


def pds(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The installed `pds` command, with no PDS_* settings from the developer's shell."""
    return subprocess.run(
        [str(PDS), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(cwd, env),
        timeout=120,
        check=False,
    )


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a pod's database is: the options that name it, and its URL."""

    args: tuple[str, ...]
    url: str
    data_dir: Path

    def fingerprint(self) -> object:
        """Everything a restore could change: the data directory's files, byte for byte, and
        (PostgreSQL) every row of every table."""
        files = None
        if self.data_dir.exists():
            files = sorted(
                (str(p.relative_to(self.data_dir)), hashlib.sha256(p.read_bytes()).hexdigest())
                for p in self.data_dir.rglob("*")
                if p.is_file()
            )
        if self.url.startswith("sqlite"):
            return files
        engine = sa.create_engine(self.url)
        try:
            metadata = sa.MetaData()
            metadata.reflect(engine)
            with engine.connect() as conn:
                rows = {
                    name: sorted(map(repr, conn.execute(sa.select(table))))
                    for name, table in metadata.tables.items()
                }
        finally:
            engine.dispose()
        return files, rows


NewPlace = Callable[[str], Place]


@pytest.fixture
def new_place(backend: str, tmp_path: Path, request) -> Iterator[NewPlace]:
    """Makes a place for a pod on the backend under test: a data directory not yet made, or a
    new empty PostgreSQL database (and a data directory for the secret key)."""
    if backend == "postgresql":
        request.getfixturevalue("postgresql_url")  # skips (or fails in CI) without PostgreSQL
    with contextlib.ExitStack() as made:

        def new(name: str) -> Place:
            data_dir = tmp_path / name
            if backend == "sqlite":
                url = f"sqlite:///{data_dir / 'pds.sqlite3'}"
                return Place(("--data-dir", str(data_dir)), url, data_dir)
            url = made.enter_context(new_postgresql_database(f"pds_{name}"))
            return Place(("--database-url", url, "--data-dir", str(data_dir)), url, data_dir)

        yield new


@contextlib.contextmanager
def serving(place: Place, cwd: Path, name: str) -> Iterator[tuple[str, Path]]:
    """`pds serve` of the place on a free port: its URL and its log."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = cwd / f"{name}.log"
    process = start_serving(
        *place.args, "serve", "--port", str(port), "--workers", "2", cwd=cwd, log=log
    )
    try:
        wait_until_served(process, url, log)
        yield url, log
    finally:
        stop(process)


def note(number: int) -> str:
    return f'<#it> <https://schema.org/text> "note {number}: Zoë ✓" .'


class Writer(threading.Thread):
    """Writes /notes/0, /notes/1... one after the other through the owner API until stopped;
    `acknowledged` grows as the pod answers 201 to each."""

    def __init__(self, url: str, token: str):
        super().__init__(daemon=True)
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.acknowledged: list[int] = []
        self.failure: str | None = None
        self._done = threading.Event()

    def run(self) -> None:
        number = 0
        while not self._done.is_set():
            try:
                response = self.session.put(
                    f"{self.url}/data/notes/{number}", data=note(number), headers=TURTLE, timeout=30
                )
            except requests.RequestException as exc:
                self.failure = repr(exc)
                return
            if response.status_code != 201:
                self.failure = f"{response.status_code} {response.text}"
                return
            self.acknowledged.append(number)
            number += 1

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.acknowledged) < count:
            assert self.failure is None, self.failure
            assert time.monotonic() < deadline, f"only {len(self.acknowledged)} writes in 30 s"
            time.sleep(0.01)

    def finish(self) -> list[int]:
        self._done.set()
        self.join(timeout=30)
        self.session.close()  # an open keep-alive connection holds up the server's stop
        assert self.failure is None, self.failure
        return list(self.acknowledged)


def claim_with_a_token(url: str, log: Path) -> str:
    code = SETUP_CODE.search(log.read_text()).group()
    claimed = requests.post(
        f"{url}/owner/claim", json={"setup_code": code, "password": PASSWORD}, timeout=10
    )
    assert claimed.status_code == 201, claimed.text
    minted = requests.post(
        f"{url}/owner/tokens", json={"name": "backup test"}, auth=("owner", PASSWORD), timeout=10
    )
    assert minted.status_code == 201, minted.text
    return minted.json()["token"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- a backup while the pod writes, restored and served ------------------------------------------


def test_a_backup_taken_while_the_pod_writes_restores_a_pod_that_serves_the_same_data_and_keys(
    new_place, tmp_path
):
    source, target = new_place("source"), new_place("target")
    backups = tmp_path / "backups"
    backups.mkdir()
    backup = backups / "pod.backup"

    with serving(source, tmp_path, "source") as (url, log):
        token = claim_with_a_token(url, log)
        writer = Writer(url, token)
        writer.start()
        writer.wait_for(5)
        before_backup = len(writer.acknowledged)
        backed_up = ok(pds(*source.args, "backup", str(backup), cwd=tmp_path))
        after_backup = len(writer.acknowledged)
        writer.wait_for(after_backup + 3)  # and the pod goes on writing
        written = writer.finish()
        source_keys = requests.get(f"{url}/.well-known/jwks.json", timeout=10).json()

    assert after_backup > before_backup, "nothing was written while the backup ran"
    head = schema_revision_of(source)
    summary = re.search(
        r"Backed up 1 pod \(default\), (\d+) documents, schema (\w+)", backed_up.stdout
    )
    assert summary, backed_up.stdout
    assert summary.group(2) == head
    assert mode(backup) == 0o600
    assert os.listdir(backups) == ["pod.backup"], "a temporary file was left behind"

    restored = ok(pds(*target.args, "restore", str(backup), cwd=tmp_path))
    assert (
        f"Restored 1 pod (default), {summary.group(1)} documents, schema {head}" in restored.stdout
    )

    with serving(target, tmp_path, "target") as (url, _log), requests.Session() as owner:
        owner.headers["Authorization"] = f"Bearer {token}"  # the token made before the backup
        owner.headers["Accept"] = "text/turtle"
        notes = {n: owner.get(f"{url}/data/notes/{n}", timeout=10) for n in written}
        present = [n for n, response in notes.items() if response.status_code == 200]
        # One snapshot taken while the backup ran: every note acknowledged before it started,
        # none of those written after it ended, and no hole between.
        assert present == written[: len(present)]
        assert before_backup <= len(present) <= after_backup
        assert len(present) == int(summary.group(1)), "the summary is not the backup's"
        for number in present:
            iri = f"{url}/data/notes/{number}"
            expected = Graph().parse(data=note(number), format="turtle", publicID=iri)
            got = Graph().parse(data=notes[number].text, format="turtle", publicID=iri)
            assert isomorphic(got, expected), f"note {number} differs"
        unknown = {"Authorization": "Bearer pds_0123456789abcdef_guess"}
        assert requests.get(f"{url}/data/", headers=unknown, timeout=10).status_code == 401
        for password, status in [(PASSWORD, 201), ("not the owner's password", 401)]:
            minted = requests.post(
                f"{url}/owner/tokens", json={"name": "after"}, auth=("owner", password), timeout=10
            )
            assert minted.status_code == status, minted.text
        restored_keys = requests.get(f"{url}/.well-known/jwks.json", timeout=10).json()

    assert source_keys["keys"], "the pod published no key"
    assert restored_keys == source_keys


def schema_revision_of(place: Place) -> str:
    engine = open_engine(place.url)
    try:
        current, head = schema_revision(engine)
    finally:
        engine.dispose()
    assert current == head
    return current


# -- backups of each kind, for the refusals -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Backups:
    """A backup of a pod on each backend, one that claims a schema from the future, and an
    archive of `pds export` (not a backup)."""

    of: dict[str, Path]
    newer: dict[str, Path]
    export: Path


@pytest.fixture(scope="module")
def backups(tmp_path_factory, request) -> Iterator[Backups]:
    folder = tmp_path_factory.mktemp("backups")
    export = folder / "pod.tar.gz"
    of, newer = {}, {}
    with contextlib.ExitStack() as made:
        request.getfixturevalue("postgresql_url")  # skips (or fails in CI) without PostgreSQL
        places = {
            "sqlite": f"sqlite:///{folder / 'source' / 'pds.sqlite3'}",
            "postgresql": made.enter_context(new_postgresql_database("pds_backed_up")),
        }
        for backend, url in places.items():
            args = ("--database-url", url, "--data-dir", str(folder / "source"))
            ok(pds(*args, "init", "--demo", cwd=folder))
            of[backend] = folder / f"{backend}.backup"
            ok(pds(*args, "backup", str(of[backend]), cwd=folder))
            if backend == "sqlite":
                ok(pds(*args, "export", str(export), cwd=folder))
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
            engine.dispose()
            newer[backend] = folder / f"{backend}-newer.backup"
            ok(pds(*args, "backup", str(newer[backend]), cwd=folder))
        yield Backups(of, newer, export)


OTHER = {"sqlite": "postgresql", "postgresql": "sqlite"}


def cut(backup: Path, folder: Path, keep: int) -> Path:
    return _write(folder / f"cut-{backup.name}", backup.read_bytes()[:keep])


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ("cut in half", {"sqlite": "is damaged", "postgresql": "is damaged"}),
        # pg_restore reads the start of the last table and fails: its transaction is undone.
        ("cut short", {"sqlite": "is damaged", "postgresql": "restore failed"}),
        ("garbage", "is not a backup made by `pds backup`"),
        ("other backend", "backup and this pod's database is"),
        ("newer schema", "is from a newer version of the pod (schema 9999)"),
        ("export archive", "load it with `pds import`"),
    ],
)
def test_restore_refuses_a_damaged_or_foreign_file_and_leaves_the_target_as_it_was(
    backend, backups, new_place, tmp_path, damage, says
):
    own = backups.of[backend]
    size = own.stat().st_size
    file = {
        "cut in half": lambda: cut(own, tmp_path, size // 2),
        "cut short": lambda: cut(own, tmp_path, size - 256),
        "garbage": lambda: _write(tmp_path / "garbage", os.urandom(64 * 1024)),
        "other backend": lambda: backups.of[OTHER[backend]],
        "newer schema": lambda: backups.newer[backend],
        "export archive": lambda: backups.export,
    }[damage]()
    target = new_place("target")
    before = target.fingerprint()

    error = one_line_error(pds(*target.args, "restore", str(file), cwd=tmp_path))

    assert (says if isinstance(says, str) else says[backend]) in error
    assert "nothing was restored" in error
    assert target.fingerprint() == before


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_restore_refuses_a_target_that_holds_a_database_and_changes_nothing(
    backend, backups, new_place, tmp_path
):
    target = new_place("target")
    ok(pds(*target.args, "init", cwd=tmp_path))
    before = target.fingerprint()

    error = one_line_error(pds(*target.args, "restore", str(backups.of[backend]), cwd=tmp_path))

    assert "never merges or overwrites" in error
    assert target.fingerprint() == before


def test_a_pod_in_a_data_directory_without_a_database_restores_beside_its_secret_key(
    backups, tmp_path
):
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret_key").write_text("k" * 64)

    ok(pds("--data-dir", str(data), "restore", str(backups.of["sqlite"]), cwd=tmp_path))

    assert sorted(os.listdir(data)) == ["pds.sqlite3", "secret_key"]
    assert mode(data / "pds.sqlite3") == 0o600


# -- refusals of pds backup -----------------------------------------------------------------------


def test_backup_refuses_to_replace_a_file_unless_forced(tmp_path):
    data = tmp_path / "data"
    ok(pds("--data-dir", str(data), "init", cwd=tmp_path))
    backup = tmp_path / "pod.backup"
    backup.write_text("last week's backup")

    error = one_line_error(pds("--data-dir", str(data), "backup", str(backup), cwd=tmp_path))

    assert "--force" in error
    assert backup.read_text() == "last week's backup"
    assert sorted(os.listdir(tmp_path)) == ["data", "pod.backup"]
    ok(pds("--data-dir", str(data), "backup", str(backup), "--force", cwd=tmp_path))
    assert backup.read_bytes().startswith(b"SQLite format 3\x00")
    assert mode(backup) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["data", "pod.backup"]


def test_backup_refuses_to_write_over_the_pods_own_database(tmp_path):
    data = tmp_path / "data"
    ok(pds("--data-dir", str(data), "init", cwd=tmp_path))
    database = data / "pds.sqlite3"
    before = database.read_bytes()

    args = ("--data-dir", str(data), "backup", str(database), "--force")
    error = one_line_error(pds(*args, cwd=tmp_path))

    assert "the pod's own database" in error
    assert database.read_bytes() == before


def test_a_backup_that_fails_after_copying_leaves_no_file_behind(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "pds.sqlite3").touch()  # a database with no pod in it: found so once copied
    backups = tmp_path / "backups"
    backups.mkdir()

    args = ("--data-dir", str(data), "backup", str(backups / "pod.backup"))
    error = one_line_error(pds(*args, cwd=tmp_path))

    assert "no pod here" in error
    assert os.listdir(backups) == []


@pytest.mark.postgresql
def test_backup_of_postgresql_without_pg_dump_says_what_to_install_and_writes_nothing(
    postgresql_url, tmp_path
):
    no_tools = tmp_path / "no-tools"
    no_tools.mkdir()
    backup = tmp_path / "pod.backup"
    with new_postgresql_database("pds_no_pg_dump") as url:
        args = ("--database-url", url, "--data-dir", str(tmp_path / "data"))
        ok(pds(*args, "init", cwd=tmp_path))

        result = pds(*args, "backup", str(backup), cwd=tmp_path, env={"PATH": str(no_tools)})

    assert "pg_dump is not installed" in one_line_error(result)
    assert not backup.exists()
    assert sorted(os.listdir(tmp_path)) == ["data", "no-tools"]


# -- an older backup into a newer pod -------------------------------------------------------------


def test_a_backup_made_by_the_first_version_restores_at_the_current_schema(new_place, tmp_path):
    source, target = new_place("old"), new_place("new")
    source.data_dir.mkdir()
    engine = open_engine(source.url)
    try:
        run_migration_scripts(engine, FIRST_REVISION)
        with engine.begin() as conn:
            first = fill_first_revision(conn)
    finally:
        engine.dispose()
    backup = tmp_path / "old.backup"
    backed_up = ok(pds(*source.args, "backup", str(backup), cwd=tmp_path))
    assert f"schema {FIRST_REVISION}" in backed_up.stdout

    restored = ok(pds(*target.args, "restore", str(backup), cwd=tmp_path))

    assert f"(migrated from {FIRST_REVISION})" in restored.stdout
    assert "2 pods (alex, sam)" in restored.stdout
    store = Store.from_url(target.url)
    try:
        current, head = schema_revision(store.engine)
        assert current == head != FIRST_REVISION
        pod = pod_of(store, OWNER_POD.id)
        pod.account.verify_password(PASSWORD)
        assert pod.account.authenticate_token(first.token).name == "backup script ✓"
        assert [p for p in first.documents if pod.data.document(p) is None] == []
    finally:
        store.dispose()
