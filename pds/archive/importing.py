"""Import an archive into an empty pod: everything checked first, then one transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import tarfile
from collections.abc import Iterable
from typing import IO, Any, cast

import sqlalchemy as sa
from rdflib import Dataset

from pds.archive.format import (
    ADDED_COLUMNS,
    FORMAT,
    MAX_MEMBER_BYTES,
    TABLE_SINCE,
    VERSION,
    ArchiveError,
    Progress,
    generated,
    json_member,
    object_of,
    time_of,
)
from pds.resources import PodRef, ResourceError, parsing, rdf
from pds.resources.documents import etag_of, to_storage
from pds.resources.paths import DATA_PREFIX, check_path
from pds.resources.validation import validate
from pds.store import AlreadyExists, NotFound, Store, pods
from pds.store import grants as grant_rows
from pds.store import resources as resource_rows
from pds.store.tables import EXPORTED_TABLES, UTCDateTime


def import_pod(
    store: Store,
    pod: PodRef,
    source: IO[bytes],
    progress: Progress | None = None,
    *,
    replace_owner: bool = False,
) -> int:
    """Load an archive made by `export_pod` into the empty pod `pod`; returns resource count.

    IRIs under the exported pod's base URL are rewritten to `pod.base_url`, so an archive can
    move a pod to a new address. The pod must hold no documents and no grants; it must also be
    unclaimed unless `replace_owner` (the consent page, where the owner of a fresh pod loads
    an export and takes on its password).
    """
    return load_archive(store, check_archive(source, pod, progress), replace_owner=replace_owner)


@dataclasses.dataclass(frozen=True)
class CheckedArchive:
    """An export read and checked in full, its documents rebased to `pod`: ready to load."""

    pod: PodRef
    documents: dict[str, tuple[str, dt.datetime | None, dt.datetime | None]]
    pod_state: dict[str, Any]
    tables: dict[sa.Table, list[dict[str, Any]]]


def check_archive(
    source: IO[bytes], pod: PodRef, progress: Progress | None = None
) -> CheckedArchive:
    """Read and check everything in the archive, without a database: ArchiveError says why not.

    `progress` is called with 1 for each document checked.
    """
    members = _read_members(source)
    manifest = _manifest(members)
    old_base = manifest["pod"]["base_url"]
    version = manifest["version"]
    return CheckedArchive(
        pod=pod,
        documents=_documents(members["resources.trig"], manifest, old_base, pod, progress),
        pod_state=json_member(members, "pod.json", dict),
        tables={
            t: _table_rows(t, _table_member(members, t, version), version) for t in EXPORTED_TABLES
        },
    )


def load_archive(store: Store, checked: CheckedArchive, *, replace_owner: bool = False) -> int:
    """Write a checked archive into its pod, in one transaction; returns the resource count.

    The pod is made if the database does not have it yet. If it has it, it must be empty (see
    `import_pod`), and it moves to the address `checked.pod` names; else ArchiveError and no
    change.
    """
    pod = checked.pod
    with store.begin() as conn:
        try:
            target = pods.lock(conn, pod.id)
        except NotFound:
            target = _new_pod(conn, pod)
        claimed = target.claimed_at is not None and not replace_owner
        if claimed or resource_rows.all_rows(conn, pod.id) or grant_rows.list_grants(conn, pod.id):
            raise ArchiveError(
                "the target pod is not empty: import into a new data directory "
                "(or a new pod name) so nothing is overwritten"
            )
        pod_state = checked.pod_state
        try:
            pods.update(
                conn,
                pod.id,
                base_url=pod.base_url,
                settings=object_of(pod_state.get("settings", {}), "settings"),
                owner_password_hash=pod_state.get("owner_password_hash"),
                claimed_at=time_of(pod_state.get("claimed_at")),
                setup_code_hash=None,
                setup_code_expires_at=None,
            )
        except sa.exc.IntegrityError:  # base URLs are unique
            raise _address_taken(pod) from None
        for path, (body, created_at, updated_at) in checked.documents.items():
            resource_rows.create(
                conn,
                pod.id,
                path,
                rdf.TURTLE,
                body,
                etag_of(body),
                created_at=created_at,
                updated_at=updated_at,
            )
        for table, rows in checked.tables.items():
            if not rows:
                continue
            try:
                conn.execute(table.insert(), [{**row, "pod_id": pod.id} for row in rows])
            except sa.exc.DBAPIError as exc:
                raise ArchiveError(
                    f"tables/{table.name}.json has values the database refuses: {exc.orig}"
                ) from None
    return len(checked.documents)


def _new_pod(conn: sa.Connection, pod: PodRef) -> pods.PodRow:
    try:
        return pods.create(conn, pod.id, pod.base_url)
    except (AlreadyExists, sa.exc.IntegrityError):  # made a moment ago, or its URL is taken
        raise _address_taken(pod) from None


def _address_taken(pod: PodRef) -> ArchiveError:
    return ArchiveError(
        f"another pod in this database has the name {pod.id!r} or the address {pod.base_url}: "
        "import under another pod name or base URL"
    )


def _read_members(source: IO[bytes]) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=source, mode="r:gz") as tar:
            for info in tar:
                name = info.name
                if name.startswith(("/", "\\")) or ".." in name.split("/") or "\\" in name:
                    raise ArchiveError(f"refused: the archive member {name!r} points outside it")
                if not info.isfile():
                    raise ArchiveError(f"refused: {name!r} is a link or special file")
                if info.size > MAX_MEMBER_BYTES:
                    raise ArchiveError(f"refused: {name!r} is larger than {MAX_MEMBER_BYTES} bytes")
                if name in members:
                    raise ArchiveError(f"refused: {name!r} appears twice in the archive")
                # extractfile() gives None only for links and special files, refused above.
                members[name] = cast(IO[bytes], tar.extractfile(info)).read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError(f"not a pod export (.tar.gz): {exc}") from None
    return members


def _manifest(members: dict[str, bytes]) -> dict[str, Any]:
    manifest = json_member(members, "manifest.json", dict)
    if manifest.get("format") != FORMAT:
        raise ArchiveError("not a pod export: manifest.json has the wrong format")
    version = manifest.get("version")
    if isinstance(version, bool) or version not in range(1, VERSION + 1):
        raise ArchiveError(
            f"export format version {version!r} is not supported "
            f"(this pod reads versions 1 to {VERSION})"
        )
    files = object_of(manifest.get("files"), "manifest files")
    expected = {
        "manifest.json",
        "resources.trig",
        "pod.json",
        *(f"tables/{t.name}.json" for t in _tables_of(version)),
    }
    if set(files) | {"manifest.json"} != expected or set(members) != expected:
        raise ArchiveError(
            "the archive's members do not match the manifest: it was altered or "
            "made by another version"
        )
    for name, digest in files.items():
        if hashlib.sha256(members[name]).hexdigest() != digest:
            raise ArchiveError(f"{name} was altered after export (its checksum does not match)")
    base = (
        manifest.get("pod", {}).get("base_url") if isinstance(manifest.get("pod"), dict) else None
    )
    if not isinstance(base, str) or not base.startswith(("http://", "https://")):
        raise ArchiveError("the manifest has no valid pod base URL")
    return manifest


def _documents(
    trig: bytes, manifest: dict, old_base: str, new_pod: PodRef, progress: Progress | None
) -> dict[str, tuple[str, dt.datetime | None, dt.datetime | None]]:
    listed = {}
    try:
        for entry in manifest.get("resources", []):
            path = check_path(entry["path"])
            listed[path] = (time_of(entry["created_at"]), time_of(entry["updated_at"]))
    except (KeyError, TypeError, ResourceError) as exc:
        raise ArchiveError(f"the manifest's resource list is invalid: {exc}") from None
    dataset = Dataset()
    try:
        parsing.parse_trig(dataset, trig.decode("utf-8"), old_base + "/")
    except Exception as exc:  # rdflib's TriG parser raises many kinds; all mean a bad file
        raise ArchiveError(f"resources.trig is not valid TriG: {exc}") from None

    prefix = old_base + DATA_PREFIX
    out = {}
    for graph in dataset.graphs():
        name = str(graph.identifier)
        if graph.identifier == dataset.default_graph.identifier or not len(graph):
            if len(graph):
                raise ArchiveError("resources.trig has triples outside any resource")
            continue
        if not name.startswith(prefix):
            raise ArchiveError(f"resources.trig names a graph outside the pod: {name}")
        path = name[len(prefix) :]
        if path not in listed:
            raise ArchiveError(f"resources.trig has {path}, which the manifest does not list")
        rebased = rdf.rebase(graph, old_base, new_pod.base_url)
        try:
            check_path(path)
            validate(rebased, path)
            stored = to_storage(rebased, new_pod)
        except ResourceError as exc:
            raise ArchiveError(f"{path}: {exc}") from None
        out[path] = (stored, *listed[path])
        if progress:
            progress(1)
    missing = set(listed) - set(out)
    if missing:
        raise ArchiveError(
            f"the manifest lists resources missing from resources.trig: "
            f"{', '.join(sorted(missing)[:5])}"
        )
    return out


def _tables_of(version: int) -> list[sa.Table]:
    return [t for t in EXPORTED_TABLES if TABLE_SINCE.get(t.name, 1) <= version]


def _table_member(members: dict[str, bytes], table: sa.Table, version: int) -> list[Any]:
    if table not in _tables_of(version):
        return []  # the table came after this version: the pod had none of these rows
    rows: list[Any] = json_member(members, f"tables/{table.name}.json", list)
    return rows


def _table_rows(table: sa.Table, rows: Iterable[Any], version: int) -> list[dict[str, Any]]:
    columns = {c.name: c for c in table.columns if c.name != "pod_id" and not generated(c)}
    # Columns added after the archive's version: its rows hold none of them, and get them.
    added = {
        name: fill
        for since, tables in ADDED_COLUMNS.items()
        if since > version
        for name, fill in tables.get(table.name, {}).items()
    }
    out = []
    for row in rows:
        if isinstance(row, dict) and added and not set(added) & set(row):
            row = {**row, **{name: fill(row) for name, fill in added.items()}}
        if not isinstance(row, dict) or set(row) != set(columns):
            raise ArchiveError(f"tables/{table.name}.json has a row with unexpected fields")
        out.append(
            {
                k: time_of(v) if isinstance(columns[k].type, UTCDateTime) else v
                for k, v in row.items()
            }
        )
    return out
