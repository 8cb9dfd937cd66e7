"""The owner's data API over HTTP, against the real server on loopback, on both backends."""

from __future__ import annotations

import threading

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from pds import schemas

TURTLE = {"Content-Type": "text/turtle"}
SCHEMA = "https://schema.org/"


def profile_turtle(name: str = "Alex Example", email: str = "alex@example.org") -> str:
    return f"""
        @prefix schema: <https://schema.org/> .
        <#me> a schema:Person ; schema:name "{name}" ; schema:email "{email}" .
    """


def stored_bytes(server, path: str) -> str | None:
    """The raw stored row, to prove a failed request changed nothing at all."""
    from pds.store import resources

    with server.store.read() as conn:
        etag = resources.get_etag(conn, server.pod.id, path)
        return None if etag is None else resources.get(conn, server.pod.id, path).body


def test_profile_written_as_turtle_reads_back_as_jsonld_and_ntriples_as_the_same_graph(
    server, owner
):
    sample = schemas.sample_documents()["/profile"]
    put = owner.put(f"{server.url}/data/profile", data=sample.encode(), headers=TURTLE)
    assert put.status_code == 201
    assert put.headers["Location"] == f"{server.url}/data/profile"

    iri = f"{server.url}/data/profile"
    expected = Graph().parse(data=sample, format="turtle", publicID=iri)
    etags = {}
    for media_type, fmt in [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
    ]:
        response = owner.get(iri, headers={"Accept": media_type})
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith(media_type)
        etags[media_type] = response.headers["ETag"]
        got = Graph().parse(data=response.text, format=fmt, publicID=iri)
        assert isomorphic(got, expected), f"{media_type} differs from what was written"
    assert len(expected) > 10
    # Each representation has its own strong ETag (RFC 9110 8.8.3); Turtle's is the document's.
    assert etags["text/turtle"] == put.headers["ETag"]
    assert len(set(etags.values())) == 3
    jsonld = {"Accept": "application/ld+json", "If-None-Match": etags["text/turtle"]}
    assert owner.get(iri, headers=jsonld).status_code == 200
    # ...and any of them names the document version for a conditional write.
    rewrite = owner.put(
        iri, data=sample.encode(), headers={**TURTLE, "If-Match": etags["application/ld+json"]}
    )
    assert rewrite.status_code == 204


def test_jsonld_write_with_the_pods_context_iri_is_understood_without_fetching(server, owner):
    document = {
        "@context": schemas.CONTEXT_IRI,
        "@id": "#me",
        "@type": "Person",
        "name": "Alex Example",
        "email": ["alex@example.org"],
    }
    response = owner.put(
        f"{server.url}/data/profile", json=document, headers={"Content-Type": "application/ld+json"}
    )
    assert response.status_code == 201, response.text
    turtle = owner.get(f"{server.url}/data/profile").text
    graph = Graph().parse(data=turtle, format="turtle")
    me = URIRef(f"{server.url}/data/profile#me")
    assert graph.value(me, URIRef(SCHEMA + "email")) == Literal("alex@example.org")


@pytest.mark.parametrize(
    "context",
    [
        "https://evil.example/context.jsonld",
        "http://127.0.0.1:1/ctx",
        "/etc/passwd",
        "file:///etc/passwd",
        ["https://evil.example/ctx", {"name": "https://schema.org/name"}],
        {"@import": "https://evil.example/ctx"},
    ],
)
def test_remote_jsonld_contexts_are_refused_and_nothing_is_written(server, owner, context):
    document = {"@context": context, "@id": "#me", "https://schema.org/name": "X"}
    response = owner.put(
        f"{server.url}/data/notes", json=document, headers={"Content-Type": "application/ld+json"}
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "context" in response.json()["detail"].lower()
    assert stored_bytes(server, "/notes") is None


def test_malformed_rdf_gets_400_with_line_and_column_and_leaves_data_unchanged(server, owner):
    url = f"{server.url}/data/profile"
    assert owner.put(url, data=profile_turtle(), headers=TURTLE).status_code == 201
    before = stored_bytes(server, "/profile")

    bad = '@prefix schema: <https://schema.org/> .\n<#me> schema:name "Alex ;\n'
    response = owner.put(url, data=bad, headers=TURTLE)
    assert response.status_code == 400
    problem = response.json()
    assert problem["line"] == 2
    assert problem["column"] >= 1
    assert "line 2" in problem["detail"]

    bad_json = '{"@id": "#me",\n  "name": }'
    response = owner.put(url, data=bad_json, headers={"Content-Type": "application/ld+json"})
    assert response.status_code == 400
    assert response.json()["line"] == 2

    assert stored_bytes(server, "/profile") == before


def test_oversized_body_gets_413_whether_declared_or_chunked(server, owner):
    url = f"{server.url}/data/notes"
    limit = server.settings.max_body_bytes
    filler = "# " + "x" * (limit + 10) + "\n<#a> <#b> <#c> .\n"
    assert owner.put(url, data=filler.encode(), headers=TURTLE).status_code == 413

    def chunks():
        data = filler.encode()
        for i in range(0, len(data), 65536):
            yield data[i : i + 65536]

    response = owner.put(url, data=chunks(), headers=TURTLE)
    assert response.status_code == 413
    assert response.json()["title"] == "Payload too large"
    assert stored_bytes(server, "/notes") is None


def test_shacl_invalid_profile_gets_422_with_readable_violations(server, owner):
    url = f"{server.url}/data/profile"
    assert owner.put(url, data=profile_turtle(), headers=TURTLE).status_code == 201
    before = stored_bytes(server, "/profile")

    response = owner.put(url, data=profile_turtle(email="not an email"), headers=TURTLE)
    assert response.status_code == 422
    problem = response.json()
    assert problem["violations"], problem
    assert any(
        v["field"] == "Email address" and v["value"] == "not an email"
        for v in problem["violations"]
    )
    assert "Email address" in problem["detail"]
    assert stored_bytes(server, "/profile") == before


def test_conditional_requests_give_304_on_a_fresh_read_and_412_on_a_stale_write(server, owner):
    url = f"{server.url}/data/profile"
    etag = owner.put(url, data=profile_turtle(), headers=TURTLE).headers["ETag"]

    assert owner.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert owner.get(url, headers={"If-None-Match": '"other"'}).status_code == 200

    newer = owner.put(url, data=profile_turtle("Alex B"), headers={**TURTLE, "If-Match": etag})
    assert newer.status_code == 204
    stale = owner.put(url, data=profile_turtle("Alex C"), headers={**TURTLE, "If-Match": etag})
    assert stale.status_code == 412
    assert "changed" in stale.json()["detail"]
    assert "Alex B" in owner.get(url).text

    create_only = owner.put(url, data=profile_turtle(), headers={**TURTLE, "If-None-Match": "*"})
    assert create_only.status_code == 412


def test_two_writers_racing_with_the_same_etag_one_wins_the_other_gets_412(server, owner):
    url = f"{server.url}/data/profile"
    etag = owner.put(url, data=profile_turtle(), headers=TURTLE).headers["ETag"]
    names = [f"Writer {i}" for i in range(6)]
    results: dict[str, int] = {}
    barrier = threading.Barrier(len(names))

    def write(name: str) -> None:
        barrier.wait()
        response = owner.put(url, data=profile_turtle(name), headers={**TURTLE, "If-Match": etag})
        results[name] = response.status_code

    threads = [threading.Thread(target=write, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    winners = [n for n, status in results.items() if status == 204]
    assert len(winners) == 1, results
    assert sorted(results.values()) == [204] + [412] * (len(names) - 1)
    graph = Graph().parse(data=owner.get(url).text, format="turtle")
    stored_names = {str(o) for o in graph.objects(None, URIRef(SCHEMA + "name"))}
    assert stored_names == {winners[0]}, "the stored profile mixes writers"


def test_patch_applies_sparql_update_atomically(server, owner):
    url = f"{server.url}/data/profile"
    etag = owner.put(url, data=profile_turtle(), headers=TURTLE).headers["ETag"]
    update = """
        PREFIX schema: <https://schema.org/>
        DELETE { ?me schema:email ?old } INSERT { ?me schema:email "new@example.org" }
        WHERE { ?me a schema:Person ; schema:email ?old }
    """
    response = owner.patch(
        url, data=update, headers={"Content-Type": "application/sparql-update", "If-Match": etag}
    )
    assert response.status_code == 204, response.text
    text = owner.get(url).text
    assert "new@example.org" in text and "alex@example.org" not in text

    # An update that would leave the profile invalid changes nothing.
    before = stored_bytes(server, "/profile")
    bad = 'PREFIX schema: <https://schema.org/> INSERT DATA { <#me> schema:name "Second" }'
    response = owner.patch(url, data=bad, headers={"Content-Type": "application/sparql-update"})
    assert response.status_code == 422
    assert stored_bytes(server, "/profile") == before


@pytest.mark.parametrize(
    "update",
    [
        "LOAD <http://127.0.0.1:1/x>",
        "LOAD <file:///etc/passwd>",
        "CLEAR ALL",
        "DROP DEFAULT",
        "DELETE { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "DELETE { ?s ?p ?o } USING <http://127.0.0.1:1/g> WHERE { ?s ?p ?o }",
        "INSERT DATA { GRAPH <http://127.0.0.1:1/g> { <a> <b> <c> } }",
        "WITH <http://127.0.0.1:1/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    ],
)
def test_patch_refuses_operations_that_reach_outside_the_document(server, owner, update):
    url = f"{server.url}/data/notes"
    owner.put(url, data="<#a> <#b> <#c> .", headers=TURTLE)
    before = stored_bytes(server, "/notes")
    response = owner.patch(url, data=update, headers={"Content-Type": "application/sparql-update"})
    assert response.status_code == 422, response.text
    assert response.json()["title"] == "SPARQL Update refused"
    assert stored_bytes(server, "/notes") == before


def test_containers_list_their_children_as_rdf(server, owner):
    for path in ("/preferences/food", "/preferences/travel", "/profile"):
        body = "<#a> <#b> <#c> ." if path != "/profile" else profile_turtle()
        if path.startswith("/preferences"):
            body = schemas.sample_documents()["/preferences"]
        assert owner.put(f"{server.url}/data{path}", data=body, headers=TURTLE).ok
    root = Graph().parse(data=owner.get(f"{server.url}/data/").text, format="turtle")
    contains = URIRef("http://www.w3.org/ns/ldp#contains")
    children = {str(o) for o in root.objects(URIRef(f"{server.url}/data/"), contains)}
    assert children == {f"{server.url}/data/preferences/", f"{server.url}/data/profile"}

    prefs = owner.get(f"{server.url}/data/preferences/")
    assert prefs.status_code == 200
    assert 'rel="type"' in prefs.headers["Link"]
    assert owner.put(f"{server.url}/data/preferences/", data="", headers=TURTLE).status_code == 405
    assert owner.delete(f"{server.url}/data/preferences/").status_code == 409


def test_delete_removes_the_resource(server, owner):
    url = f"{server.url}/data/notes"
    etag = owner.put(url, data="<#a> <#b> <#c> .", headers=TURTLE).headers["ETag"]
    assert owner.delete(url, headers={"If-Match": '"stale"'}).status_code == 412
    assert owner.delete(url, headers={"If-Match": etag}).status_code == 204
    assert owner.get(url).status_code == 404
    assert owner.delete(url).status_code == 404


def test_content_negotiation_refuses_what_it_cannot_speak(server, owner):
    url = f"{server.url}/data/notes"
    owner.put(url, data="<#a> <#b> <#c> .", headers=TURTLE)
    response = owner.get(url, headers={"Accept": "application/pdf"})
    assert response.status_code == 406
    assert "text/turtle" in response.json()["detail"]
    response = owner.put(url, data="<p>hi</p>", headers={"Content-Type": "text/html"})
    assert response.status_code == 415
    assert "text/turtle" in response.headers["Accept-Post"]


@pytest.mark.parametrize(
    "raw_path",
    [
        "/data/../owner",
        "/data/a/../profile",
        "/data/%2e%2e/owner",
        "/data/a/%2e%2e/profile",
        "/data/%252e%252e/profile",
        "/data//profile",
        "/data/.hidden",
        "/data/a%2Fb/../c",
        "/data/sp%20ace",
    ],
)
def test_path_tricks_are_refused(server, owner, raw_path):
    # requests would normalise "..": send the raw request line through http.client.
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.putrequest("PUT", raw_path, skip_accept_encoding=True)
    conn.putheader("Authorization", owner.headers["Authorization"])
    conn.putheader("Content-Type", "text/turtle")
    body = b"<#a> <#b> <#c> ."
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    response = conn.getresponse()
    assert response.status in (400, 404), response.status
    assert response.getheader("Content-Type") == "application/problem+json"
    response.read()
    conn.close()
    with server.store.read() as db:
        from pds.store import resources

        assert resources.all_rows(db, server.pod.id) == []
