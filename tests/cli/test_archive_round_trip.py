"""Moving a whole pod through an export archive, on both backends.

Everything arrives at the new address, no secret leaves in the archive, and an archive is never
imported over a pod that is already in use.
"""

from __future__ import annotations

import io
import json

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from pds.archive import ArchiveError
from pds.consent import InvalidCredentials
from pds.resources import Documents
from pds.store import pods
from pds.store import resources as resource_rows
from pds.store import threads as thread_rows
from tests.cli.archive_setup import (
    POD_SETTINGS,
    SCHEMA,
    audit_trail,
    documents_of,
    empty_pod,
    exported,
    filled_pod,
    members_of,
    tar_of,
    with_checksums,
)
from tests.conftest import PASSWORD

# -- the round trip -------------------------------------------------------------------------------


def test_exported_pod_imports_into_a_new_pod_at_another_address_with_everything_intact(
    store, pod_name
):
    source, kept_secret, revoked_secret = filled_pod(store, pod_name)
    archive = exported(store, source)
    target = empty_pod(store, pod_name + "-moved")

    assert target.import_archive(io.BytesIO(archive)) == len(documents_of())

    for path, turtle in documents_of().items():
        if path == "/notes/today":
            turtle = turtle.replace("bell", "bell and a lamp")
        iri = f"{target.base_url}/data{path}"
        expected = Graph().parse(data=turtle, format="turtle", publicID=iri)
        got = target.data.document(path).graph
        assert isomorphic(got, expected), f"{path} differs after the move"
    notes = target.data.document("/notes/today").graph
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
    owner = target.account
    owner.verify_password(PASSWORD)
    with pytest.raises(InvalidCredentials):
        owner.verify_password(PASSWORD + "!")

    assert owner.authenticate_token(kept_secret).name == "backup script"
    with pytest.raises(InvalidCredentials, match="revoked"):
        owner.authenticate_token(revoked_secret)
    source_tokens = [(t.id, t.name, t.created_at) for t in source.account.list_tokens()]
    assert [(t.id, t.name, t.created_at) for t in owner.list_tokens()] == source_tokens

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
    Documents(store).put(target.ctx.ref, "/profile", mine.encode(), "text/turtle")
    with store.read() as conn:
        rows_before = resource_rows.all_rows(conn, target.id)

    with pytest.raises(ArchiveError, match="not empty"):
        target.import_archive(io.BytesIO(archive))

    with store.read() as conn:
        assert resource_rows.all_rows(conn, target.id) == rows_before
        assert pods.get(conn, target.id).claimed_at is None
        assert pods.get(conn, target.id).settings == {}
    assert target.account.list_tokens() == []


def test_import_is_refused_into_a_claimed_pod_even_without_documents(store, pod_name):
    source, _kept, _revoked = filled_pod(store, pod_name)
    archive = exported(store, source)
    target = empty_pod(store, pod_name + "-claimed")
    owner = target.account
    owner.set_password("another password entirely")

    with pytest.raises(ArchiveError, match="not empty"):
        target.import_archive(io.BytesIO(archive))

    owner.verify_password("another password entirely")
    with pytest.raises(InvalidCredentials):
        owner.verify_password(PASSWORD)


PRICES = """
    @prefix schema: <https://schema.org/> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    <#bell> schema:price "15000"^^xsd:decimal , "1.50"^^xsd:decimal ;
        schema:weight "1E3"^^xsd:double ; schema:dateCreated "2024-01-05"^^xsd:date .
"""


def test_archive_writes_every_literal_as_stored(store, pod_name):
    source, _kept, _revoked = filled_pod(store, pod_name)
    source.data.put("/notes/prices", PRICES.encode(), "text/turtle")

    trig = members_of(exported(store, source))["resources.trig"].decode()

    for spelled in ('"15000"^^<', '"1.50"^^<', '"1E3"^^<', '"2024-01-05"^^<'):
        assert spelled in trig


def test_decimals_keep_their_exact_spelling_through_an_archive(store, pod_name):
    source, _kept, _revoked = filled_pod(store, pod_name)
    source.data.put("/notes/prices", PRICES.encode(), "text/turtle")
    target = empty_pod(store, pod_name + "-moved")

    target.import_archive(io.BytesIO(exported(store, source)))

    literals = {str(o) for o in target.data.document("/notes/prices").graph.objects()}
    assert {"15000", "1.50", "2024-01-05"} <= literals


def test_doubles_keep_their_exact_spelling_through_an_archive(store, pod_name):
    source, _kept, _revoked = filled_pod(store, pod_name)
    source.data.put("/notes/prices", PRICES.encode(), "text/turtle")
    target = empty_pod(store, pod_name + "-moved")

    target.import_archive(io.BytesIO(exported(store, source)))

    literals = {str(o) for o in target.data.document("/notes/prices").graph.objects()}
    assert "1E3" in literals


@pytest.mark.parametrize("version", [1, 2])
def test_an_archive_of_an_earlier_format_still_imports(store, pod_name, version):
    """Version 1 exports (before key publication times, request clients, intents and offers),
    and version 2 (before conversations)."""
    source, _kept, _revoked = filled_pod(store, pod_name)
    kid = source.signing_kid  # the pod's first key, made now
    members = members_of(exported(store, source))
    manifest = json.loads(members["manifest.json"])
    manifest["version"] = version
    absent = ["threads", "thread_messages", "agreement_records"]
    if version == 1:
        absent += ["intents", "intent_announcements", "offers"]
    for table in absent:
        del members[f"tables/{table}.json"]
        del manifest["files"][f"tables/{table}.json"]
    for table, column in (("signing_keys", "signs_from"), ("access_requests", "client")):
        if version > 1:
            break
        rows = json.loads(members[f"tables/{table}.json"])
        members[f"tables/{table}.json"] = json.dumps(
            [{k: v for k, v in row.items() if k != column} for row in rows]
        ).encode()
    members["manifest.json"] = json.dumps(manifest).encode()
    target = empty_pod(store, pod_name + "-moved")

    target.import_archive(io.BytesIO(tar_of(with_checksums(members))))

    assert kid in {k.kid for k in target.signing_keys()}  # published: what it signed verifies
    assert [i.id for i in target.intents.all()] == [i.id for i in source.intents.all()]


def test_conversations_move_with_the_pod(store, pod_name):
    source, _kept, _revoked = filled_pod(store, pod_name)
    now = source.now()
    thread = thread_rows.ThreadRow(
        id="t" * 22,
        vendor_id="v" * 43,
        vendor={"name": "Leeds Motors", "verified": False},
        subject="Your order SO-1042",
        started_by="vendor",
        offer_id=None,
        state="muted",
        created_at=now,
        updated_at=now,
        customer_read_at=None,
    )
    with store.begin() as conn:  # as an import would write them, below the use cases
        thread_rows.add(conn, source.id, thread)
        for n, author in enumerate(("v" * 43, "customer")):
            message = thread_rows.MessageRow(
                f"m{n}", thread.id, author, f"message {n}\nsecond line", None, now
            )
            thread_rows.add_message(conn, source.id, message)
    target = empty_pod(store, pod_name + "-moved")

    target.import_archive(io.BytesIO(exported(store, source)))

    assert target.threads.all() == source.threads.all()
    assert target.threads.get(thread.id) == source.threads.get(thread.id)
