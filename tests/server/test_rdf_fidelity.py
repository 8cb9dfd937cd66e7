"""One graph, as written, in every format: over the live pod, on both backends.

The judge is pyoxigraph, an RDF processor that shares no code with the pod (Rust, not rdflib):
what it reads from the Turtle, JSON-LD and N-Triples the pod serves must be exactly the triples
it reads from what the owner wrote, lexical forms included. An ill-typed literal is refused,
never "fixed".
"""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from pds import schemas

TURTLE = {"Content-Type": "text/turtle"}
XSD = "http://www.w3.org/2001/XMLSchema#"
FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
}

LITERALS = """
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .

<#it> ex:padded "0042"^^xsd:integer ;
    ex:signed "+5"^^xsd:integer ;
    ex:exponent "1.0E3"^^xsd:double ;
    ex:whole "1000.0"^^xsd:double ;
    ex:bare 0042, +7, 1.0E3, 2.50, -0.0 ;
    ex:flag "1"^^xsd:boolean, "true"^^xsd:boolean, false ;
    ex:count 42, -17 ;
    ex:huge "123456789012345678901234567890"^^xsd:integer ;
    ex:price "120.00"^^xsd:decimal ;
    ex:day "2026-11-23"^^xsd:date ;
    ex:text "plain", "chat"@fr, "typed"^^xsd:string, "line\\nbreak \\"quoted\\"" ;
    ex:part [ ex:weight "7.5E-1"^^xsd:double ; ex:part [ ex:count "-0"^^xsd:integer ] ] .
"""


def read(text: str | bytes, media_type: str, base: str) -> set[str]:
    """The triples pyoxigraph reads, blank nodes canonically named (RDFC-1.0)."""
    dataset = ox.Dataset(ox.parse(text, FORMATS[media_type], base_iri=base))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(quad.triple) for quad in dataset}


def served(owner, url: str, media_type: str) -> str:
    response = owner.get(url, headers={"Accept": media_type})
    assert response.status_code == 200, response.text
    return response.text


def stored_body(server, path: str) -> str | None:
    from pds.store import resources

    with server.store.read() as conn:
        etag = resources.get_etag(conn, server.pod.id, path)
        return None if etag is None else resources.get(conn, server.pod.id, path).body


def assert_one_graph_in_every_format(owner, url: str, written: set[str]) -> None:
    for media_type in FORMATS:
        assert read(served(owner, url, media_type), media_type, url) == written, media_type


# -- lexical forms -------------------------------------------------------------------------------


def test_literals_are_stored_and_served_exactly_as_written(server, owner):
    url = f"{server.url}/data/notes/literals"
    written = read(LITERALS, "text/turtle", url)

    put = owner.put(url, data=LITERALS.encode(), headers=TURTLE)

    assert put.status_code == 201, put.text
    assert_one_graph_in_every_format(owner, url, written)
    for lexical in ('"0042"^^', '"+5"^^', '"1.0E3"^^', '"1000.0"^^', '"-0.0"^^', '"2.50"^^'):
        assert any(lexical in triple for triple in written), lexical
    stored = read(stored_body(server, "/notes/literals"), "text/turtle", "https://pod.invalid/")
    assert {t.split(" ", 1)[1] for t in stored if "example.org/part>" not in t} == {
        t.split(" ", 1)[1] for t in written if "example.org/part>" not in t
    }


def test_a_boolean_written_as_1_and_as_true_stays_two_triples(server, owner):
    url = f"{server.url}/data/notes/flags"
    body = '<#it> <http://example.org/flag> "1"^^<{x}boolean>, "true"^^<{x}boolean> .'

    assert owner.put(url, data=body.format(x=XSD), headers=TURTLE).status_code == 201

    lines = served(owner, url, "application/n-triples").splitlines()
    assert sorted(lines) == [
        f'<{url}#it> <http://example.org/flag> "1"^^<{XSD}boolean> .',
        f'<{url}#it> <http://example.org/flag> "true"^^<{XSD}boolean> .',
    ]


def test_a_patch_keeps_the_lexical_forms_it_is_given(server, owner):
    url = f"{server.url}/data/notes/patched"
    update = (
        f"PREFIX xsd: <{XSD}> INSERT DATA {{ <#it> <http://example.org/n> "
        '"0042"^^xsd:integer, "1.0E3"^^xsd:double, "1"^^xsd:boolean }'
    )

    patch = owner.patch(url, data=update, headers={"Content-Type": "application/sparql-update"})

    assert patch.status_code == 201, patch.text
    assert read(served(owner, url, "application/n-triples"), "application/n-triples", url) == {
        f'<{url}#it> <http://example.org/n> "0042"^^<{XSD}integer>',
        f'<{url}#it> <http://example.org/n> "1.0E3"^^<{XSD}double>',
        f'<{url}#it> <http://example.org/n> "1"^^<{XSD}boolean>',
    }


# -- JSON-LD means one graph -----------------------------------------------------------------------


def test_a_double_served_as_jsonld_reads_back_as_the_same_double(server, owner):
    url = f"{server.url}/data/notes/double"
    body = f'<#it> <http://example.org/weight> "1000.0"^^<{XSD}double> .'
    assert owner.put(url, data=body, headers=TURTLE).status_code == 201

    document = json.loads(served(owner, url, "application/ld+json"))

    assert document["@graph"][0]["http://example.org/weight"] == {
        "@type": "xsd:double",
        "@value": "1000.0",
    }
    assert read(json.dumps(document), "application/ld+json", url) == {
        f'<{url}#it> <http://example.org/weight> "1000.0"^^<{XSD}double>'
    }


def test_a_jsonld_document_means_to_the_pod_what_it_means_to_other_processors(server, owner):
    url = f"{server.url}/data/notes/from-jsonld"
    document = {
        "@context": {
            "xsd": XSD,
            "ex": "http://example.org/",
            "price": {"@id": "ex:price"},
            "title": "ex:title",
            "padded": {"@id": "ex:padded", "@type": "xsd:integer"},
        },
        "@id": "#it",
        "title": "A plain string",
        "padded": "0042",  # a string under a term that types it: "0042"^^xsd:integer
        "ex:signed": {"@value": "+5", "@type": "xsd:integer"},
        "ex:exponent": {"@value": "1.0E3", "@type": "xsd:double"},
        "ex:whole": 1000.0,  # a JSON number without a fraction: "1000"^^xsd:integer
        "ex:fraction": 1.5,  # with one: "1.5E0"^^xsd:double
        "ex:typed": {"@value": 5, "@type": "xsd:double"},
        "ex:flag": [True, {"@value": "1", "@type": "xsd:boolean"}],
        "price": {"@value": "120.00", "@type": "xsd:decimal"},
        "ex:text": [{"@value": "chat", "@language": "fr"}, "plain"],
    }
    body = json.dumps(document)
    written = read(body, "application/ld+json", url)

    put = owner.put(url, data=body, headers={"Content-Type": "application/ld+json"})

    assert put.status_code == 201, put.text
    assert_one_graph_in_every_format(owner, url, written)
    assert f'<{url}#it> <http://example.org/whole> "1000"^^<{XSD}integer>' in written
    assert f'<{url}#it> <http://example.org/fraction> "1.5E0"^^<{XSD}double>' in written


@pytest.mark.parametrize("path", ["/profile", "/preferences"])
def test_the_sample_documents_are_one_graph_in_every_format(server, owner, path):
    url = f"{server.url}/data{path}"
    sample = schemas.sample_documents()[path]

    assert owner.put(url, data=sample.encode(), headers=TURTLE).status_code == 201

    assert_one_graph_in_every_format(owner, url, read(sample, "text/turtle", url))


def test_blank_nodes_nested_shared_and_in_cycles_are_one_graph_in_every_format(server, owner):
    url = f"{server.url}/data/notes/blank"
    body = """
        @prefix ex: <http://example.org/> .
        <#it> ex:part [ ex:n 1 ; ex:part [ ex:n 2 ] ], [ ex:n 1 ; ex:part [ ex:n 2 ] ] ;
            ex:shared _:s .
        <#other> ex:shared _:s .
        _:a ex:next _:b . _:b ex:next _:a .
        _:s ex:name "shared" .
    """
    written = read(body, "text/turtle", url)

    assert owner.put(url, data=body.encode(), headers=TURTLE).status_code == 201

    assert_one_graph_in_every_format(owner, url, written)


# -- ill-typed literals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "content_type", "body"),
    [
        ("PUT", "text/turtle", f'<#it> <http://example.org/n> "abc"^^<{XSD}integer> .'),
        (
            "PUT",
            "application/ld+json",
            json.dumps(
                {"@id": "#it", "http://example.org/n": {"@value": "abc", "@type": f"{XSD}integer"}}
            ),
        ),
        (
            "PUT",
            "application/n-triples",
            f'<http://e.org/it> <http://example.org/n> "abc"^^<{XSD}integer> .\n',
        ),
        (
            "PATCH",
            "application/sparql-update",
            f'INSERT DATA {{ <#it> <http://example.org/n> "abc"^^<{XSD}integer> }}',
        ),
    ],
)
def test_an_ill_typed_literal_is_refused_and_nothing_is_stored(
    server, owner, method, content_type, body
):
    url = f"{server.url}/data/notes/typed"
    owner.put(url, data=f'<#it> <http://example.org/n> "1"^^<{XSD}integer> .', headers=TURTLE)
    before = stored_body(server, "/notes/typed")

    response = owner.request(method, url, data=body, headers={"Content-Type": content_type})

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("#shape-violation")
    assert "'abc' is not a valid xsd:integer" in problem["detail"]
    assert problem["violations"][0]["path"] == "http://example.org/n"
    assert problem["violations"][0]["value"] == "abc"
    assert stored_body(server, "/notes/typed") == before


def test_shapes_still_check_the_datatypes_of_their_fields(server, owner):
    url = f"{server.url}/data/profile"
    person = '@prefix schema: <https://schema.org/> .\n<#me> a schema:Person ; schema:name "A" ;'

    wrong = owner.put(url, data=f'{person} schema:birthDate "Alex" .', headers=TURTLE)
    right = owner.put(
        url, data=f'{person} schema:birthDate "1990-04-23"^^<{XSD}date> .', headers=TURTLE
    )

    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["violations"][0]["path"] == "https://schema.org/birthDate"
    assert right.status_code == 201, right.text


def test_a_shaped_boolean_written_as_1_is_kept_as_1(server, owner):
    url = f"{server.url}/data/preferences"
    body = (
        "@prefix pds: <https://w3id.org/vrm-pod/ns#> .\n"
        f'<#prefs> a pds:Preferences ; pds:doNotContact "1"^^<{XSD}boolean> .'
    )

    assert owner.put(url, data=body, headers=TURTLE).status_code == 201

    assert f'"1"^^<{XSD}boolean>' in served(owner, url, "application/n-triples")
    assert json.loads(served(owner, url, "application/ld+json"))["@graph"][0]["doNotContact"] == "1"
