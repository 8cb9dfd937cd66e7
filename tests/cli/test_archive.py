"""Moving a whole pod through an export archive, and refusing archives that were tampered with.

Both backends; the CLI half of the story (data directories, SQLite -> PostgreSQL) is at the end.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import secrets
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from pds import schemas
from pds.archive import ArchiveError, export_pod, import_pod
from pds.consent import InvalidCredentials, OwnerAccount, open_pod
from pds.resources.documents import Documents
from pds.store import Store, audit, migrate, pods
from pds.store import resources as resource_rows
from pds.store.tables import EXPORTED_TABLES
from tests.conftest import CHEAP_HASHER, PASSWORD

SCHEMA = "https://schema.org/"
NOTES = """
    @prefix schema: <https://schema.org/> .
    <#today> a schema:Note ;
        schema:about <../profile#me> , <https://elsewhere.example/thing> ;
        schema:text "Buy a bicycle bell" .
"""
POD_SETTINGS = {"display_name": "Alex", "terms": {"marketing": False, "languages": ["en", "fr"]}}
PDS = Path(sys.executable).parent / "pds"


# -- a pod worth moving -------------------------------------------------------------------------


def documents_of() -> dict[str, str]:
    """Turtle first written to each path of the pod made by `filled_pod`."""
    return {**schemas.sample_documents(), "/notes/today": NOTES}


def filled_pod(store: Store, name: str):
    """A claimed pod with typed and untyped documents, settings, tokens and an audit trail."""
    pod = open_pod(store, name, f"https://{name}.example")
    documents = Documents(store)
    for path, turtle in documents_of().items():
        documents.put(pod, path, turtle.encode(), "text/turtle")
    # A second write, so that updated_at differs from created_at.
    documents.put(
        pod, "/notes/today", NOTES.replace("bell", "bell and a lamp").encode(), "text/turtle"
    )
    with store.begin() as conn:
        pods.update(conn, pod.id, settings=POD_SETTINGS)
    owner = OwnerAccount(store, CHEAP_HASHER)
    owner.set_password(pod.id, PASSWORD)
    _kept, kept_secret = owner.create_token(pod.id, "backup script")
    revoked, revoked_secret = owner.create_token(pod.id, "old laptop")
    owner.revoke_token(pod.id, revoked.id)
    return pod, kept_secret, revoked_secret


def exported(store: Store, pod) -> bytes:
    out = io.BytesIO()
    export_pod(store, pod, out)
    return out.getvalue()


def empty_pod(store: Store, name: str):
    return open_pod(store, name, f"http://{name}.localhost:9999")


def audit_trail(store: Store, pod_id: str) -> list[tuple]:
    with store.read() as conn:
        events = audit.query(conn, pod_id, limit=1000)
    return [(e.at, e.actor, e.action, e.resource, e.outcome, e.detail) for e in reversed(events)]


def assert_untouched(store: Store, pod) -> None:
    """The target pod is exactly as `open_pod` made it: no data, no owner, no tokens, no audit."""
    with store.read() as conn:
        row = pods.get(conn, pod.id)
        assert resource_rows.all_rows(conn, pod.id) == []
        assert row.claimed_at is None
        assert row.owner_password_hash is None
        assert row.settings == {}
        for table in EXPORTED_TABLES:
            count = conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.pod_id == pod.id)
            ).scalar_one()
            assert count == 0, f"{table.name} has rows after a refused import"


# -- archive surgery ------------------------------------------------------------------------------


def members_of(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return {info.name: tar.extractfile(info).read() for info in tar}


def tar_of(members: dict[str, bytes], *extra: tarfile.TarInfo) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return out.getvalue()


def with_checksums(members: dict[str, bytes]) -> dict[str, bytes]:
    """`members` with a manifest whose checksums match them again, as a careful forger would."""
    manifest = json.loads(members["manifest.json"])
    manifest["files"] = {
        name: hashlib.sha256(data).hexdigest()
        for name, data in members.items()
        if name != "manifest.json"
    }
    return {**members, "manifest.json": json.dumps(manifest).encode()}


# -- the round trip -------------------------------------------------------------------------------


def test_exported_pod_imports_into_a_new_pod_at_another_address_with_everything_intact(
    store, pod_name
):
    source, kept_secret, revoked_secret = filled_pod(store, pod_name)
    archive = exported(store, source)
    target = empty_pod(store, pod_name + "-moved")

    assert import_pod(store, target, io.BytesIO(archive)) == 3

    documents = Documents(store)
    for path, turtle in documents_of().items():
        if path == "/notes/today":
            turtle = turtle.replace("bell", "bell and a lamp")
        iri = f"{target.base_url}/data{path}"
        expected = Graph().parse(data=turtle, format="turtle", publicID=iri)
        got = documents.read(target, path).graph
        assert isomorphic(got, expected), f"{path} differs after the move"
    notes = documents.read(target, "/notes/today").graph
    about = set(notes.objects(predicate=URIRef(SCHEMA + "about")))
    assert about == {
        URIRef(f"{target.base_url}/data/profile#me"),
        URIRef("https://elsewhere.example/thing"),
    }, "links inside the pod follow it to the new address, links outside it stay"

    with store.read() as conn:
        before = {r.path: r for r in resource_rows.all_rows(conn, source.id)}
        after = {r.path: r for r in resource_rows.all_rows(conn, target.id)}
        source_row, target_row = pods.get(conn, source.id), pods.get(conn, target.id)
    assert set(after) == set(before)
    for path, row in before.items():
        assert (after[path].created_at, after[path].updated_at) == (
            row.created_at,
            row.updated_at,
        )
    assert before["/notes/today"].updated_at > before["/notes/today"].created_at

    assert target_row.settings == POD_SETTINGS
    assert target_row.claimed_at == source_row.claimed_at
    assert target_row.owner_password_hash == source_row.owner_password_hash
    assert target_row.base_url == target.base_url, "the new pod keeps its own address"
    owner = OwnerAccount(store, CHEAP_HASHER)
    owner.verify_password(target.id, PASSWORD)
    with pytest.raises(InvalidCredentials):
        owner.verify_password(target.id, PASSWORD + "!")

    assert owner.authenticate_token(target.id, kept_secret).name == "backup script"
    with pytest.raises(InvalidCredentials, match="revoked"):
        owner.authenticate_token(target.id, revoked_secret)
    source_tokens = [(t.id, t.name, t.created_at) for t in owner.list_tokens(source.id)]
    assert [(t.id, t.name, t.created_at) for t in owner.list_tokens(target.id)] == source_tokens

    source_audit = audit_trail(store, source.id)
    # The failed password check above is the only thing the new pod did on its own.
    assert audit_trail(store, target.id)[: len(source_audit)] == source_audit
    actions = [event[2] for event in source_audit]
    assert actions == [
        "owner.password",
        "owner.token.create",
        "owner.token.create",
        "owner.token.revoke",
    ]


def test_archive_holds_no_token_secret_nor_password(store, pod_name):
    source, kept_secret, _revoked = filled_pod(store, pod_name)
    archive = members_of(exported(store, source))

    secret_part = kept_secret.split("_", 2)[2]
    for name, data in archive.items():
        assert secret_part.encode() not in data, f"{name} holds a token secret"
        assert PASSWORD.encode() not in data, f"{name} holds the password"
    assert json.loads(archive["pod.json"])["owner_password_hash"].startswith("$argon2")


def test_import_is_refused_into_a_pod_that_already_has_data_and_leaves_it_alone(store, pod_name):
    source, _kept, _revoked = filled_pod(store, pod_name)
    archive = exported(store, source)
    target = empty_pod(store, pod_name + "-busy")
    mine = '@prefix schema: <https://schema.org/> . <#me> a schema:Person ; schema:name "Sam" .'
    Documents(store).put(target, "/profile", mine.encode(), "text/turtle")
    with store.read() as conn:
        rows_before = resource_rows.all_rows(conn, target.id)

    with pytest.raises(ArchiveError, match="not empty"):
        import_pod(store, target, io.BytesIO(archive))

    with store.read() as conn:
        assert resource_rows.all_rows(conn, target.id) == rows_before
        assert pods.get(conn, target.id).claimed_at is None
        assert pods.get(conn, target.id).settings == {}
    assert OwnerAccount(store).list_tokens(target.id) == []


def test_import_is_refused_into_a_claimed_pod_even_without_documents(store, pod_name):
    source, _kept, _revoked = filled_pod(store, pod_name)
    archive = exported(store, source)
    target = empty_pod(store, pod_name + "-claimed")
    owner = OwnerAccount(store, CHEAP_HASHER)
    owner.set_password(target.id, "another password entirely")

    with pytest.raises(ArchiveError, match="not empty"):
        import_pod(store, target, io.BytesIO(archive))

    owner.verify_password(target.id, "another password entirely")
    with pytest.raises(InvalidCredentials):
        owner.verify_password(target.id, PASSWORD)


# -- tampered archives ----------------------------------------------------------------------------


def _flip_a_byte(members):
    trig = bytearray(members["resources.trig"])
    at = trig.index(b"Alex Example")
    trig[at] = ord("E")
    return tar_of({**members, "resources.trig": bytes(trig)})


def _link(members):
    link = tarfile.TarInfo("tables/audit_events.json")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    rest = {k: v for k, v in members.items() if k != "tables/audit_events.json"}
    return tar_of(rest, link)


def _hard_link(members):
    link = tarfile.TarInfo("tables/audit_events.json")
    link.type, link.linkname = tarfile.LNKTYPE, "pod.json"
    rest = {k: v for k, v in members.items() if k != "tables/audit_events.json"}
    return tar_of(rest, link)


def _version(members):
    manifest = json.loads(members["manifest.json"])
    manifest["version"] = 99
    return tar_of({**members, "manifest.json": json.dumps(manifest).encode()})


def _invalid_trig(members):
    return tar_of(with_checksums({**members, "resources.trig": b"<a> { this is not TriG"}))


def _invalid_profile(members):
    dataset = Dataset()
    dataset.parse(data=members["resources.trig"].decode(), format="trig")
    profiles = [g for g in dataset.graphs() if str(g.identifier).endswith("/data/profile")]
    assert len(profiles) == 1
    me = next(s for s in profiles[0].subjects() if str(s).endswith("/data/profile#me"))
    # The profile shape allows exactly one schema:name.
    profiles[0].add((me, URIRef(SCHEMA + "name"), Literal("A Second Name")))
    trig = dataset.serialize(format="trig", encoding="utf-8")
    return tar_of(with_checksums({**members, "resources.trig": trig}))


def _unlisted_resource(members):
    manifest = json.loads(members["manifest.json"])
    manifest["resources"] = [r for r in manifest["resources"] if r["path"] != "/notes/today"]
    return tar_of(with_checksums({**members, "manifest.json": json.dumps(manifest).encode()}))


def _unknown_token_field(members):
    rows = json.loads(members["tables/api_tokens.json"])
    rows[0]["is_admin"] = True
    changed = {**members, "tables/api_tokens.json": json.dumps(rows).encode()}
    return tar_of(with_checksums(changed))


TAMPERED = {
    "a changed byte in resources.trig": (_flip_a_byte, "resources.trig was altered"),
    "a member named ../evil": (
        lambda m: tar_of({**m, "../evil": b"x"}),
        "'../evil' points outside",
    ),
    "a member named /etc/x": (lambda m: tar_of({**m, "/etc/x": b"x"}), "'/etc/x' points outside"),
    "a symlink member": (_link, "is a link"),
    "a hard link member": (_hard_link, "is a link"),
    "an extra member": (
        lambda m: tar_of({**m, "notes.txt": b"hello"}),
        "do not match the manifest",
    ),
    "an extra member listed in the manifest": (
        lambda m: tar_of(with_checksums({**m, "tables/passwords.json": b"[]"})),
        "do not match the manifest",
    ),
    "a missing member": (
        lambda m: tar_of({k: v for k, v in m.items() if k != "tables/audit_events.json"}),
        "do not match the manifest",
    ),
    "a manifest of version 99": (_version, "version 99 is not supported"),
    "invalid TriG with a matching checksum": (_invalid_trig, "not valid TriG"),
    "a profile its shape refuses, with a matching checksum": (_invalid_profile, "/profile: "),
    "a resource the manifest does not list": (_unlisted_resource, "does not list"),
    "an unknown field in a token row": (_unknown_token_field, "unexpected fields"),
    "plain text, not a tar": (lambda m: b"just some text, not an archive", "not a pod export"),
    "a gzipped text, not a tar": (
        lambda m: gzip.compress(b"just some text"),
        "not a pod export",
    ),
}


@pytest.mark.parametrize("tamper", list(TAMPERED), ids=list(TAMPERED))
def test_tampered_archive_is_refused_and_nothing_is_written(store, pod_name, tamper):
    source, _kept, _revoked = filled_pod(store, pod_name)
    make, message = TAMPERED[tamper]
    archive = make(members_of(exported(store, source)))
    target = empty_pod(store, pod_name + "-target")

    with pytest.raises(ArchiveError, match=re.escape(message)):
        import_pod(store, target, io.BytesIO(archive))

    assert_untouched(store, target)


def test_untampered_archive_rebuilt_by_the_test_helpers_still_imports(store, pod_name):
    """The tampering cases above fail for their change, not for how the tests rebuild a tar."""
    source, kept_secret, _revoked = filled_pod(store, pod_name)
    archive = tar_of(with_checksums(members_of(exported(store, source))))
    target = empty_pod(store, pod_name + "-target")

    assert import_pod(store, target, io.BytesIO(archive)) == 3
    OwnerAccount(store).authenticate_token(target.id, kept_secret)


# -- through the CLI ------------------------------------------------------------------------------


def pds(*args: str, home: Path) -> subprocess.CompletedProcess:
    """Run the installed `pds` command with no PDS_* settings from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    return subprocess.run(
        [str(PDS), *args],
        capture_output=True,
        text=True,
        env={**env, "HOME": str(home)},
        timeout=60,
        check=False,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def sqlite_store(data_dir: Path) -> Store:
    return Store.from_url(f"sqlite:///{data_dir / 'pds.sqlite3'}")


@pytest.fixture(scope="module")
def cli_source(tmp_path_factory) -> tuple[Path, str]:
    """A SQLite data directory holding a filled, claimed pod named "default"; and a token."""
    data_dir = tmp_path_factory.mktemp("source")
    store = sqlite_store(data_dir)
    try:
        migrate(store.engine)
        _pod, secret, _revoked = filled_pod(store, "default")
    finally:
        store.dispose()
    return data_dir, secret


@pytest.fixture(scope="module")
def cli_archive(cli_source, tmp_path_factory) -> Path:
    archive = tmp_path_factory.mktemp("export") / "pod.tar.gz"
    ok(pds("--data-dir", str(cli_source[0]), "export", str(archive), home=archive.parent))
    return archive


def assert_same_pod(store_a: Store, pod_a: str, store_b: Store, pod_b: str, secret: str) -> None:
    with store_a.read() as conn:
        rows_a = {r.path: r for r in resource_rows.all_rows(conn, pod_a)}
        settings_a = pods.get(conn, pod_a).settings
    with store_b.read() as conn:
        rows_b = {r.path: r for r in resource_rows.all_rows(conn, pod_b)}
        settings_b = pods.get(conn, pod_b).settings
    # Stored bodies do not depend on the base URL, so they match byte for byte.
    assert rows_b == rows_a
    assert set(rows_a) == {"/profile", "/preferences", "/notes/today"}
    assert settings_b == settings_a == POD_SETTINGS
    owner = OwnerAccount(store_b, CHEAP_HASHER)
    owner.verify_password(pod_b, PASSWORD)
    assert owner.authenticate_token(pod_b, secret).name == "backup script"
    assert audit_trail(store_b, pod_b) == audit_trail(store_a, pod_a)


def test_cli_moves_a_pod_from_one_data_directory_to_another(cli_source, cli_archive, tmp_path):
    source, secret = cli_source
    target = tmp_path / "b"

    result = pds(
        *("--data-dir", str(target), "import", str(cli_archive)),
        *("--base-url", "https://pod.example"),
        home=tmp_path,
    )

    output = ok(result)
    assert "Imported 3 resource" in output
    assert "into pod 'default' at https://pod.example" in output
    store_a, store_b = sqlite_store(source), sqlite_store(target)
    try:
        assert_same_pod(store_a, "default", store_b, "default", secret)
        pod = open_pod(store_b, "default", "https://pod.example")
        profile = Documents(store_b).read(pod, "/profile").graph
        assert (URIRef("https://pod.example/data/profile#me"), None, None) in profile
    finally:
        store_a.dispose()
        store_b.dispose()
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert stat.S_IMODE((target / "secret_key").stat().st_mode) == 0o600


@pytest.mark.postgresql
def test_cli_moves_a_pod_from_sqlite_to_postgresql(
    cli_source, cli_archive, tmp_path, postgresql_url, postgresql_store
):
    source, secret = cli_source
    pod = f"moved-{secrets.token_hex(4)}"

    result = pds(
        *("--data-dir", str(tmp_path / "pg"), "--database-url", postgresql_url, "--pod", pod),
        *("import", str(cli_archive), "--base-url", f"https://{pod}.example"),
        home=tmp_path,
    )

    output = ok(result)
    assert "Imported 3 resource" in output
    assert f"into pod {pod!r} at https://{pod}.example" in output
    store_a = sqlite_store(source)
    try:
        assert_same_pod(store_a, "default", postgresql_store, pod, secret)
    finally:
        store_a.dispose()


def test_cli_refuses_a_tampered_archive_with_a_clear_message_and_changes_nothing(
    cli_archive, tmp_path
):
    archive = tmp_path / "tampered.tar.gz"
    archive.write_bytes(_flip_a_byte(members_of(cli_archive.read_bytes())))
    target = tmp_path / "b"

    result = pds("--data-dir", str(target), "import", str(archive), home=tmp_path)

    assert result.returncode == 1
    assert "import refused, nothing was changed: resources.trig was altered" in result.stderr
    assert "Traceback" not in result.stderr
    store = sqlite_store(target)
    try:
        assert_untouched(store, open_pod(store, "default", "http://127.0.0.1:8000"))
    finally:
        store.dispose()


def test_cli_export_is_readable_by_its_owner_only_even_over_older_files(cli_source, tmp_path):
    archive = tmp_path / "pod.tar.gz"
    archive.write_bytes(b"an older export")
    archive.chmod(0o644)
    stale = tmp_path / "pod.tar.gz.partial"
    stale.write_bytes(b"left over from an export that was interrupted")
    stale.chmod(0o644)

    result = pds("--data-dir", str(cli_source[0]), "export", str(archive), home=tmp_path)

    assert "Exported 3 resource" in ok(result)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert not stale.exists()
    assert set(members_of(archive.read_bytes())) >= {"manifest.json", "resources.trig"}
