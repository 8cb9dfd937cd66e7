"""Constants and helpers shared by the protocol tests: the owner's side over HTTP (§12) and the
checks of problem responses, DPoP challenges and security headers (§8, §13.9)."""

from __future__ import annotations

import requests
from rdflib import Graph, Namespace, URIRef

from tests.protocol.independent_client import PROBLEM_BASE, Grant, PodClient, Problem

SCHEMA = Namespace("https://schema.org/")
EMAIL = str(SCHEMA.email)
NAME = str(SCHEMA.name)
DPOP_CHALLENGE = (
    'DPoP algs="EdDSA Ed25519 ES256", error="{error}", error_description="{description}"'
)

PROFILE_TURTLE = """\
@prefix schema: <https://schema.org/> .
<#me> a schema:Person ;
    schema:name "Alex Example" ;
    schema:givenName "Alex" ;
    schema:familyName "Example" ;
    schema:email "alex@example.org", "alex.example@example.org" ;
    schema:telephone "+44 20 7946 0000" ;
    schema:address <#home> .
<#home> a schema:PostalAddress ;
    schema:streetAddress "1 Example Street" ;
    schema:addressLocality "Exampleton" ;
    schema:postalCode "EX1 2MP" ;
    schema:addressCountry "GB" .
"""


def only(graph: Graph, *predicates: URIRef) -> Graph:
    view = Graph()
    for triple in graph:
        if triple[1] in predicates:
            view.add(triple)
    return view


def parse(response: requests.Response, fmt: str, base: str) -> Graph:
    return Graph().parse(data=response.text, format=fmt, publicID=base)


def find_pending(server, owner, request_id: str) -> dict:
    listing = owner.get(f"{server.url}/owner/access-requests?status=pending", timeout=10)
    assert listing.status_code == 200, listing.text
    [request] = [r for r in listing.json()["requests"] if r["id"] == request_id]
    return request


def approve(server, owner, request_id: str, body: dict | None = None) -> dict:
    url = f"{server.url}/owner/access-requests/{request_id}/approve"
    response = owner.post(url, json=body, timeout=10) if body is not None else owner.post(url)
    assert response.status_code == 201, response.text
    return response.json()


def granted(pod: PodClient, server, owner, scopes: list[dict], body: dict | None = None) -> Grant:
    pending = pod.request_access(scopes)
    approve(server, owner, pending.id, body)
    return pod.wait(pending, max_interval=0.2)


def assert_problem(
    response: requests.Response, status: int, slug: str, detail: str | None = None
) -> Problem:
    assert response.status_code == status, response.text
    problem = Problem.of(response)
    assert problem.slug == slug, problem.body
    assert problem.body["type"] == PROBLEM_BASE + slug
    assert problem.body["status"] == status
    if detail is not None:
        assert problem.body["detail"] == detail
    return problem


def assert_dpop_challenge(response: requests.Response, error: str, description: str) -> None:
    expected = DPOP_CHALLENGE.format(error=error, description=description)
    assert response.headers.get("WWW-Authenticate") == expected


def assert_security_headers(response: requests.Response) -> None:
    """§13.9: every pod response carries these."""
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; frame-ancestors 'none'"
    )
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
