"""A NUL byte (or another control character) anywhere a client can put one: a clear 4xx, never
a 500, and nothing stored. PostgreSQL cannot store U+0000 in text at all, so without these checks
the same request would fail differently on the two backends."""

from __future__ import annotations

import requests

from tests.server.vendor_setup import (
    TURTLE,
    Vendor,
    assert_refused,
    data_request,
    proof,
    refusals,
    stored,
)

NUL_LITERAL = '<#me> a <https://schema.org/Person> ; <https://schema.org/name> "Al\\u0000ex" .'


def _problem(response: requests.Response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("#" + slug), body
    return body


def test_a_document_holding_nul_is_refused_and_nothing_is_written(server, owner, customer_data):
    before = stored(server)

    put = owner.put(f"{server.url}/data/profile", data=NUL_LITERAL.encode(), headers=TURTLE)
    patch = owner.patch(
        f"{server.url}/data/profile",
        data='INSERT DATA { <#me> <https://schema.org/name> "x\\u0000y" }',
        headers={"Content-Type": "application/sparql-update"},
    )

    assert "NUL" in _problem(put, 400, "malformed-rdf")["detail"]
    assert "NUL" in _problem(patch, 400, "malformed-rdf")["detail"]
    assert stored(server) == before


def test_a_vendor_record_holding_nul_is_refused_and_nothing_is_written(server, appender: Vendor):
    before = stored(server)
    url = f"{server.url}/data/vendors/{appender.id}/"
    token = appender.grant.token

    response = data_request(
        "POST",
        url,
        token,
        proof(appender, "POST", url, token),
        data=NUL_LITERAL.encode(),
        headers=TURTLE,
    )

    assert "NUL" in _problem(response, 400, "malformed-rdf")["detail"]
    assert stored(server) == before


def test_a_vendor_path_with_nul_is_refused_as_out_of_scope_and_audited(
    server, owner, reader: Vendor
):
    url = f"{server.url}/data/pro%00file"
    token = reader.grant.token
    audited_before = len(refusals(server, owner))

    response = data_request("GET", url, token, proof(reader, "GET", url, token))

    assert_refused(response, 403, "insufficient_scope", "insufficient-scope", "does not allow")
    assert len(refusals(server, owner)) == audited_before + 1


def test_ids_with_nul_are_simply_not_found(server, owner, reader: Vendor):
    status_url = f"{server.url}/access-requests/abc%00def"
    status = requests.get(
        status_url, headers={"DPoP": proof(reader, "GET", status_url)}, timeout=10
    )

    _problem(status, 404, "request-not-found")
    _problem(owner.get(f"{server.url}/owner/access-requests/abc%00"), 404, "request-not-found")
    _problem(owner.get(f"{server.url}/owner/grants/abc%00"), 404, "grant-not-found")
    _problem(owner.delete(f"{server.url}/owner/tokens/abc%00"), 404, "unknown-token")


def test_an_audit_filter_or_a_token_name_with_control_characters_is_refused(server, owner):
    audit = owner.get(f"{server.url}/owner/audit", params={"actor": "a\x00b"})
    token = owner.post(f"{server.url}/owner/tokens", json={"name": "laptop\x00"})

    assert "control characters" in _problem(audit, 422, "invalid-input")["detail"]
    assert "control characters" in _problem(token, 422, "invalid-input")["detail"]
    names = [t["name"] for t in owner.get(f"{server.url}/owner/tokens").json()["tokens"]]
    assert names == ["tests"]
