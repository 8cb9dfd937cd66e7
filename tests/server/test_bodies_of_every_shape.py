"""Bodies that are unusual but legal are accepted; bodies that are too deep are refused with a
clear problem, never a 500, and nothing is written."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rdflib import Graph, Literal, URIRef

from tests.server.vendor_setup import EMAIL, TURTLE, new_vendor, stored

SCHEMA = "https://schema.org/"


def test_a_json_ld_document_whose_top_level_is_an_array_is_accepted(server, owner):
    me = f"{server.url}/data/profile#me"
    document = [
        {
            "@id": me,
            "@type": [f"{SCHEMA}Person"],
            f"{SCHEMA}name": [{"@value": "Alex Example"}],
            f"{SCHEMA}email": [{"@value": "alex@example.org"}],
        }
    ]

    put = owner.put(
        f"{server.url}/data/profile",
        data=json.dumps(document),
        headers={"Content-Type": "application/ld+json"},
    )

    assert put.status_code == 201, put.text
    turtle = owner.get(f"{server.url}/data/profile", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=turtle.text, format="turtle", publicID=f"{server.url}/data/profile")
    assert (URIRef(me), URIRef(f"{SCHEMA}name"), Literal("Alex Example")) in graph


def test_an_approval_nested_100000_deep_is_refused_and_the_request_stays_pending(
    server, owner, customer_data
):
    pending = new_vendor(server).client.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}],
        purpose="https://w3id.org/dpv#ServiceProvision",
        description="to test a deep body",
        duration=dt.timedelta(days=1),
        vendor={"name": "Deep Shop"},
    )
    before = stored(server)
    body = '{"scopes": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = owner.post(
        f"{server.url}/owner/access-requests/{pending.id}/approve",
        data=body,
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "nested too deeply" in response.json()["detail"]
    assert owner.get(f"{server.url}/owner/access-requests/{pending.id}").json()["status"] == (
        "pending"
    )
    assert stored(server) == before


@pytest.mark.parametrize("depth", [50, 150, 190, 500, 1000])
@pytest.mark.parametrize("nesting", ["blank-nodes", "lists"])
def test_deeply_nested_turtle_is_stored_and_served_or_refused_never_a_500(
    server, owner, nesting, depth
):
    if nesting == "blank-nodes":
        body = "[ <http://e.org/p> " * depth + '"x"' + " ]" * depth
    else:
        body = "( " * depth + '"x"' + " )" * depth
    url = f"{server.url}/data/notes/deep"
    before = stored(server)

    put = owner.put(url, data=f"<#it> <http://e.org/p> {body} .", headers=TURTLE)

    if put.status_code == 400:
        assert put.json()["type"].endswith("#malformed-rdf")
        assert "nested too deeply" in put.json()["detail"]
        assert stored(server) == before
    else:
        assert put.status_code == 201, put.text
        for accept in ("text/turtle", "application/ld+json", "application/n-triples"):
            assert owner.get(url, headers={"Accept": accept}).status_code == 200
