"""Refusing export archives that were tampered with, on both backends: nothing is written."""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile

import pytest
from rdflib import Dataset, Literal, URIRef

from pds.archive import ArchiveError
from tests.cli.archive_setup import (
    SCHEMA,
    _flip_a_byte,
    assert_untouched,
    documents_of,
    empty_pod,
    exported,
    filled_pod,
    members_of,
    tar_of,
    with_checksums,
)

# -- tampered archives ----------------------------------------------------------------------------


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


def _nul_in_a_note(members):
    trig = members["resources.trig"].decode().replace("Buy a bicycle bell", "Buy a\\u0000bell")
    assert "\\u0000" in trig
    return tar_of(with_checksums({**members, "resources.trig": trig.encode()}))


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
    "a NUL character in a literal, with a matching checksum": (_nul_in_a_note, "NUL character"),
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
        target.import_archive(io.BytesIO(archive))

    assert_untouched(store, target)


def test_untampered_archive_rebuilt_by_the_test_helpers_still_imports(store, pod_name):
    """The tampering cases above fail for their change, not for how the tests rebuild a tar."""
    source, kept_secret, _revoked = filled_pod(store, pod_name)
    archive = tar_of(with_checksums(members_of(exported(store, source))))
    target = empty_pod(store, pod_name + "-target")

    assert target.import_archive(io.BytesIO(archive)) == len(documents_of())
    target.account.authenticate_token(kept_secret)
