"""2. Append into the vendor's own container, read back, give the grant back (§7.6, §9.2)."""

from __future__ import annotations

import json
import re
import time

import requests
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from tests.protocol.helpers import (
    SCHEMA,
    approve,
    assert_dpop_challenge,
    assert_problem,
    granted,
    parse,
)
from tests.protocol.independent_client import PodClient, VendorKey, jws_payload

LDP = Namespace("http://www.w3.org/ns/ldp#")


# -- 2. append, read back, give back --------------------------------------------------------------


def test_append_into_own_container_then_give_the_grant_back(server, owner, inbox):
    pod = PodClient(server.url, VendorKey.generate("Ed25519"))
    pod.discover()
    container = f"/vendors/{pod.key.vendor_id}/"
    pending = pod.request_access(
        [{"resource": container, "modes": ["append", "read"]}], callback=inbox.url
    )
    # §12: a request with neither Content-Type nor a body approves as asked.
    approve(server, owner, pending.id)
    grant = pod.wait(pending, max_interval=0.2)
    assert grant.claims["scopes"] == [{"resource": container, "modes": ["append", "read"]}]

    record = """\
@prefix schema: <https://schema.org/> .
<#order> a schema:Order ;
    schema:orderNumber "SO-1042" ;
    schema:orderDate "2026-11-23"^^<http://www.w3.org/2001/XMLSchema#date> .
"""
    created = pod.append(container, grant, record, slug="order SO-1042")
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert location == f"{server.url}/data{container}order-SO-1042"
    assert created.headers["ETag"]

    # Read it back: relative IRIs resolved against the new document's URL.
    back = pod.read(location, grant)
    assert back.status_code == 200, back.text
    assert back.headers["ETag"] == created.headers["ETag"]
    graph = parse(back, "turtle", location)
    assert (URIRef(f"{location}#order"), SCHEMA.orderNumber, Literal("SO-1042")) in graph
    assert isomorphic(graph, Graph().parse(data=record, format="turtle", publicID=location))

    # The same slug again gets a suffix; JSON-LD with an inline context is accepted too.
    again = pod.append(
        container,
        grant,
        json.dumps(
            {
                "@context": {"schema": "https://schema.org/"},
                "@id": "#warranty",
                "schema:name": "Two-year warranty",
            }
        ),
        content_type="application/ld+json",
        slug="order SO-1042",
    )
    assert again.status_code == 201, again.text
    assert re.fullmatch(
        re.escape(f"{server.url}/data{container}order-SO-1042-") + "[0-9a-f]{6}",
        again.headers["Location"],
    )

    # The container lists both.
    listing = pod.read(container, grant)
    assert listing.status_code == 200, listing.text
    assert 'rel="type"' in listing.headers["Link"]
    assert "ldp#BasicContainer" in listing.headers["Link"]
    contained = set(
        parse(listing, "turtle", pod.resource_url(container)).objects(None, LDP.contains)
    )
    assert contained == {URIRef(location), URIRef(again.headers["Location"])}

    # The vendor is not told about its own records (§10.2).
    time.sleep(0.5)
    assert inbox.received == []

    # §9.2: give it back.
    given = pod.give_back(grant)
    assert given.status_code == 200, given.text
    assert given.json() == {"id": grant.id, "state": "returned", "vendor_id": pod.key.vendor_id}
    refused = pod.read(location, grant)
    assert_problem(refused, 401, "grant-revoked")
    assert_dpop_challenge(refused, "invalid_token", refused.json()["detail"])
    assert_problem(pod.give_back(grant), 401, "grant-revoked")
    assert pod.poll(pending).json()["grant_state"] == "returned"
    assert pod.is_revoked(grant) is True

    _, token = inbox.wait_for(lambda item: jws_payload(item[1]).get("type") == "Revoke")
    notification = pod.verify_notification(token)
    assert notification["revoked_by"] == "vendor"


def test_giving_back_with_another_grant_is_refused(server, owner):
    pod = PodClient(server.url, VendorKey.generate("Ed25519"))
    pod.discover()
    container = f"/vendors/{pod.key.vendor_id}/"
    first = granted(pod, server, owner, [{"resource": container, "modes": ["read"]}])
    second = granted(pod, server, owner, [{"resource": container, "modes": ["read"]}])
    url = f"{server.url}/grants/{first.id}/return"
    response = requests.post(url, headers=pod.grant_headers("POST", url, second), timeout=10)
    description = "send the grant you are giving back as the Authorization"
    assert_problem(response, 403, "insufficient-scope", description)
    assert_dpop_challenge(response, "insufficient_scope", description)
    assert pod.give_back(first).status_code == 200
