"""A strong ETag names one set of bytes: in every process, whatever its PYTHONHASHSEED.

Two workers (or two app servers in front of one PostgreSQL) serve the same version of a
document under the same ETag, so they must serialize it to the same bytes. Here fresh Python
processes, each with its own hash seed, serialize what the live pod stored, and must agree
with each other and with what the live pod served, byte for byte and ETag for ETag.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from pds import schemas
from tests.server.vendor_setup import EMAIL, SCHEMA, TURTLE

MEDIA_TYPES = ("text/turtle", "application/ld+json", "application/n-triples")
ADDRESS = SCHEMA + "address"

# Blank nodes nested, shared, alike and in a cycle; literals of many kinds; several subjects.
NOTES = """
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<#it> a ex:Thing, ex:Other ;
    ex:part [ ex:n 1 ; ex:part [ ex:n 2 ] ], [ ex:n 1 ; ex:part [ ex:n 2 ] ], [ ex:n 3 ] ;
    ex:shared _:s ;
    ex:value "0042"^^xsd:integer, "1.0E3"^^xsd:double, "1"^^xsd:boolean, "é"@fr, "z", "a" .
<#other> ex:shared _:s ; ex:link <#it>, <http://example.org/elsewhere> .
_:s ex:name "shared" .
_:a ex:next _:b . _:b ex:next _:a .
<http://example.org/elsewhere> ex:n 4 .
"""

# Run in a fresh interpreter: what the pod's Documents serve for each path and media type.
SERIALIZE = """
import json, sys
from pds.resources import Documents, PodRef
from pds.store import Store

store_url, pod_id, base_url, paths, media_types, fields = json.loads(sys.stdin.read())
documents = Documents(Store.from_url(store_url))
pod = PodRef(pod_id, base_url)
out = {}
for path in paths:
    for media_type in media_types:
        for view in (None, frozenset(fields)):
            r = documents.represent(pod, path, media_type, fields=view)
            out[f"{path} {media_type} {view is not None}"] = [r.etag, r.body.decode()]
print(json.dumps(out))
"""


def serialize_elsewhere(server, paths: list[str], hash_seed: str) -> dict[str, list[str]]:
    store_url = server.store.engine.url.render_as_string(hide_password=False)
    job = [store_url, server.pod.id, server.url, paths, MEDIA_TYPES, [EMAIL, ADDRESS]]
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", SERIALIZE],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_process_serializes_a_stored_document_to_the_same_bytes(server, owner):
    for path, body in [
        ("/profile", schemas.sample_documents()["/profile"]),
        ("/preferences", schemas.sample_documents()["/preferences"]),
        ("/notes/stable", NOTES),
    ]:
        put = owner.put(f"{server.url}/data{path}", data=body.encode(), headers=TURTLE)
        assert put.status_code == 201, put.text
    paths = ["/profile", "/preferences", "/notes/stable"]

    seen = [serialize_elsewhere(server, paths, seed) for seed in ("1", "2", "3", "4242")]

    assert all(other == seen[0] for other in seen[1:])
    for path in paths:
        for media_type in MEDIA_TYPES:
            response = owner.get(f"{server.url}/data{path}", headers={"Accept": media_type})
            etag, body = seen[0][f"{path} {media_type} False"]
            assert response.headers["ETag"] == f'"{etag}"', (path, media_type)
            assert response.text == body, (path, media_type)


def test_the_same_triples_written_in_another_order_are_the_same_version(server, owner):
    url = f"{server.url}/data/notes/order"
    lines = [f'<#it> <http://example.org/p{n % 3}> "{n}" .' for n in range(12)]
    first = owner.put(url, data="\n".join(lines), headers=TURTLE)

    again = owner.put(url, data="\n".join(reversed(lines)), headers=TURTLE)

    assert (first.status_code, again.status_code) == (201, 204)
    assert again.headers["ETag"] == first.headers["ETag"]
