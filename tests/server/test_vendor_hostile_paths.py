"""A hostile vendor against the live pod, on both backends: paths and scopes outside its grant.

Paths outside the grant, path tricks, climbing out of its own container and writing where the
grant only lets it append are all covered here.

Every trick must be refused with a DPoP challenge and a problem+json body that says why, show
none of the customer's data, leave every stored document as it was, and (for data requests)
be written to the audit log as refused.
"""

from __future__ import annotations

import http.client
import json

import pytest

from tests.server.vendor_setup import (
    OTHER_VENDOR,
    RECORD,
    Vendor,
    assert_no_customer_data,
    assert_refused,
    audited_refusal,
    data_request,
    new_vendor,
    refusals,
    stored,
)
from vendor_client import make_proof

# -- paths outside the grant -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/preferences", "/", "/preferences/", "/profile/", "/owner"])
def test_a_path_outside_the_grant_is_refused_and_audited(server, owner, reader, path):
    url = f"{server.url}/data{path}"
    dpop = make_proof(reader.key, "GET", url, reader.grant.token)
    response = audited_refusal(
        server, owner, lambda: data_request("GET", url, reader.grant.token, dpop), path=path
    )
    assert_refused(
        response,
        403,
        "insufficient_scope",
        "insufficient-scope",
        f"the grant does not allow read on {path}",
    )


def test_a_refusal_does_not_tell_whether_something_exists(server, owner, reader):
    def refusal(path: str) -> tuple[dict, str]:
        url = f"{server.url}/data{path}"
        dpop = make_proof(reader.key, "GET", url, reader.grant.token)
        response = data_request("GET", url, reader.grant.token, dpop)
        assert response.status_code == 403, response.text
        body = {k: str(v).replace(path, "<path>") for k, v in response.json().items()}
        return body, response.headers["WWW-Authenticate"].replace(path, "<path>")

    existing = refusal("/preferences")
    assert refusal("/nothing-here") == existing
    assert refusal("/preferences-missing") == existing


PATH_TRICKS = [
    "/data/../owner",
    "/data/%2e%2e/profile",
    "/data/%2E%2E/owner",
    "/data/profile/..",
    "/data/profile/%2e%2e",
    "/data/%252e%252e/profile",
    "/data//profile",
    "/data/./profile",
    "/data/preferences/../profile",
    "/data/profile%2F..%2Fpreferences",
]


@pytest.mark.parametrize("raw_path", PATH_TRICKS)
def test_path_tricks_show_nothing_and_change_nothing(server, owner, reader, raw_path):
    before = stored(server)
    status, content_type, text = raw_request(server, reader, "GET", raw_path)
    assert status in (400, 403, 404), (status, text)
    assert content_type == "application/problem+json"
    assert json.loads(text)["detail"]
    assert_no_customer_data(text)
    assert stored(server) == before


@pytest.mark.parametrize("raw_path", ["/data/../owner", "/data/%2e%2e/profile"])
def test_a_vendors_path_trick_is_audited_as_refused(server, owner, reader, raw_path):
    status, _content_type, _text = raw_request(server, reader, "GET", raw_path)
    assert status in (400, 403)
    events = refusals(server, owner)
    assert [event["actor"] for event in events] == [reader.id]


CONTAINER_ESCAPES = [
    ("GET", "/data/vendors/{own}/../../profile"),
    ("GET", "/data/vendors/{own}/%2e%2e/%2e%2e/preferences"),
    ("GET", "/data/vendors/{own}/../{other}/"),
    ("POST", "/data/vendors/{own}/../../"),
    ("POST", "/data/vendors/{own}/%2e%2e/{other}/"),
    ("POST", "/data/vendors/{own}/./"),
]


@pytest.mark.parametrize(("method", "raw_path"), CONTAINER_ESCAPES)
def test_a_vendor_cannot_climb_out_of_its_container(server, owner, appender, method, raw_path):
    raw_path = raw_path.format(own=appender.id, other=OTHER_VENDOR)
    before = stored(server)
    status, content_type, text = raw_request(server, appender, method, raw_path, body=RECORD)
    assert status in (400, 403, 404), (status, text)
    assert content_type == "application/problem+json"
    assert_no_customer_data(text)
    assert stored(server) == before


@pytest.mark.parametrize(("method", "raw_path"), CONTAINER_ESCAPES[:1] + CONTAINER_ESCAPES[3:4])
def test_a_climb_out_of_the_container_is_audited_as_refused(
    server, owner, appender, method, raw_path
):
    raw_path = raw_path.format(own=appender.id, other=OTHER_VENDOR)
    raw_request(server, appender, method, raw_path, body=RECORD)
    events = owner.get(f"{server.url}/owner/audit", params={"actor": appender.id}).json()
    newest = events["events"][0]
    assert newest["action"].startswith("data.") and newest["outcome"] == "refused", newest


def raw_request(
    server, vendor: Vendor, method: str, raw_path: str, body: str | None = None
) -> tuple[int, str | None, str]:
    """A request with the request line exactly as given (requests would normalise "..").

    The proof names the URL exactly as sent (RFC 9449 4.3), so that only the path, not the
    proof, is what the pod has to refuse.
    """
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest(method, raw_path, skip_accept_encoding=True)
        conn.putheader("Authorization", f"DPoP {vendor.grant.token}")
        htu = server.url + raw_path
        conn.putheader("DPoP", make_proof(vendor.key, method, htu, vendor.grant.token))
        if body is not None:
            conn.putheader("Content-Type", "text/turtle")
            conn.putheader("Content-Length", str(len(body.encode())))
        conn.endheaders(body.encode() if body is not None else None)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type"), response.read().decode()
    finally:
        conn.close()


# -- appending outside the vendor's own container ----------------------------------------------


@pytest.mark.parametrize(
    ("method", "where", "mode", "body", "content_type"),
    [
        pytest.param("POST", "/vendors/{other}/", "append", RECORD, "text/turtle", id="post-other"),
        pytest.param(
            "POST", "/vendors/{own}", "append", RECORD, "text/turtle", id="post-own-no-slash"
        ),
        pytest.param("POST", "/vendors/", "append", RECORD, "text/turtle", id="post-vendors"),
        pytest.param("POST", "/", "append", RECORD, "text/turtle", id="post-root"),
        pytest.param("POST", "/profile", "append", RECORD, "text/turtle", id="post-profile"),
        pytest.param("POST", "/preferences/", "append", RECORD, "text/turtle", id="post-prefs"),
        pytest.param("PUT", "/vendors/{own}/r1", "write", RECORD, "text/turtle", id="put-own"),
        pytest.param("PUT", "/vendors/{own}/new", "write", RECORD, "text/turtle", id="put-new"),
        pytest.param("PUT", "/profile", "write", RECORD, "text/turtle", id="put-profile"),
        pytest.param(
            "PATCH",
            "/vendors/{own}/r1",
            "write",
            'INSERT DATA { <#it> <https://schema.org/name> "More" }',
            "application/sparql-update",
            id="patch-own",
        ),
        pytest.param("DELETE", "/vendors/{own}/r1", "write", None, None, id="delete-own"),
        pytest.param("DELETE", "/vendors/{own}/", "write", None, None, id="delete-container"),
        pytest.param("DELETE", "/profile", "write", None, None, id="delete-profile"),
    ],
)
def test_a_vendor_can_only_append_in_its_own_container(
    server, owner, appender, method, where, mode, body, content_type
):
    path = where.format(own=appender.id, other=new_vendor(server).id)
    url = f"{server.url}/data{path}"
    dpop = make_proof(appender.key, method, url, appender.grant.token)
    headers = {"Content-Type": content_type} if content_type else {}
    response = audited_refusal(
        server,
        owner,
        lambda: data_request(method, url, appender.grant.token, dpop, data=body, headers=headers),
        path=path,
        action=f"data.{mode}",
    )
    assert_refused(
        response,
        403,
        "insufficient_scope",
        "insufficient-scope",
        f"the grant does not allow {mode} on {path}",
    )
    assert [row.path for row in stored(server)] == [
        "/preferences",
        "/profile",
        f"/vendors/{appender.id}/r1",
    ]
