"""Request targets that name no resource, sent byte for byte, on both backends.

`//`, a fragment on the wire or `%00` must never read, write or delete the document they
resemble: the owner gets `400 invalid-path` for every method, a vendor the out-of-scope
refusal every invalid path gets (protocol §1.3), and nothing is stored. Percent-escapes are
decoded first (§1.3), so `%70rofile` and `a%2Fb` name `/profile` and `/a/b` themselves.
"""

from __future__ import annotations

import http.client
import json

import pytest

from tests.server.vendor_setup import TURTLE, assert_no_customer_data, refusals, stored
from vendor_client import make_proof

PROFILE = '@prefix schema: <https://schema.org/> .\n<#me> a schema:Person ; schema:name "Alex" .'
NOTE = b'<#it> <https://schema.org/name> "Forged" .'
UPDATE = b'INSERT DATA { <#it> <https://schema.org/name> "Forged" }'

# What each method sends: the body and its media type.
REQUESTS = {
    "GET": (None, None),
    "HEAD": (None, None),
    "PUT": (NOTE, "text/turtle"),
    "PATCH": (UPDATE, "application/sparql-update"),
    "DELETE": (None, None),
    "POST": (NOTE, "text/turtle"),
}

NON_CANONICAL = {
    "empty segment first": "/data//profile",
    "empty segment inside": "/data/profile//x",
    "empty segment of a container": "/data//",
    "fragment": "/data/profile#me",
    "fragment after a query": "/data/profile?x=1#me",
    "fragment in absolute form": "{base}/data/profile#me",
    "NUL": "/data/profile%00",
}


def send(server, method: str, target: str, headers: dict[str, str], body: bytes | None = None):
    """The request line exactly as given: requests would drop the fragment and merge `//`."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest(method, target, skip_host=False, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type"), response.read().decode()
    finally:
        conn.close()


@pytest.fixture
def profile(server, owner) -> str:
    response = owner.put(f"{server.url}/data/profile", data=PROFILE, headers=TURTLE)
    assert response.status_code == 201, response.text
    return owner.get(f"{server.url}/data/profile").text


@pytest.mark.parametrize("target", NON_CANONICAL.values(), ids=NON_CANONICAL.keys())
def test_the_owner_gets_400_invalid_path_for_every_method_and_nothing_changes(
    server, owner, owner_token, profile, target
):
    target = target.format(base=server.url)
    before = stored(server)

    for method, (body, media_type) in REQUESTS.items():
        headers = {"Authorization": f"Bearer {owner_token}"}
        if media_type:
            headers["Content-Type"] = media_type
        status, content_type, text = send(server, method, target, headers, body)

        assert status == 400, (method, status, text)
        assert content_type == "application/problem+json", method
        if method != "HEAD":
            problem = json.loads(text)
            assert problem["type"].endswith("#invalid-path"), (method, problem)
            assert problem["detail"], method
            assert "Alex" not in text, method

    assert stored(server) == before
    assert owner.get(f"{server.url}/data/profile").text == profile
    listing = owner.get(f"{server.url}/data/", headers={"Accept": "application/n-triples"})
    assert listing.text.count("http://www.w3.org/ns/ldp#contains") == 1  # /profile, only


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("/data/profile#me", "fragment (#me)"),
        ("/data//profile", "'//'"),
        ("/data/profile%00", "%00"),
    ],
)
def test_the_refusal_says_what_is_wrong_with_the_target(server, owner, owner_token, target, says):
    headers = {"Authorization": f"Bearer {owner_token}", "Content-Type": "text/turtle"}

    _status, _type, text = send(server, "PUT", target, headers, NOTE)

    assert says in json.loads(text)["detail"]


def test_an_anonymous_request_to_such_a_target_is_asked_to_authenticate(server, owner):
    status, content_type, _text = send(server, "GET", "/data//profile", {})

    assert (status, content_type) == (401, "application/problem+json")


@pytest.mark.parametrize(
    "target",
    [
        "/data/profile#me",
        "/data//profile",
        "/data/profile%00",
        "/data/vendors/{own}/r1#it",
        "/data/vendors/{own}//r1",
    ],
)
def test_a_vendors_request_to_such_a_target_is_refused_as_out_of_scope_and_audited(
    server, owner, reader, appender, target
):
    # Without the fragment, or with one slash less, each names what the vendor may read.
    vendor = appender if "{own}" in target else reader
    target = target.format(own=vendor.id)
    before, audited = stored(server), len(refusals(server, owner))
    url = server.url + target.split("#")[0]
    headers = {
        "Authorization": f"DPoP {vendor.grant.token}",
        "DPoP": make_proof(vendor.key, "GET", url, vendor.grant.token),
    }

    status, content_type, text = send(server, "GET", target, headers)

    assert (status, content_type) == (403, "application/problem+json"), text
    assert json.loads(text)["type"].endswith("#insufficient-scope")
    assert_no_customer_data(text)
    assert len(refusals(server, owner)) == audited + 1
    assert stored(server) == before


@pytest.mark.parametrize("target", ["/data/%70rofile", "/data%2Fprofile", "/data/pro%66ile?x=1"])
def test_percent_escapes_name_the_document_they_decode_to(server, owner, profile, target):
    # §1.3 and RFC 3986 §6.2.2.2: the path is read after percent-decoding; nothing is aliased.
    status, _type, text = send(
        server, "GET", target, {"Authorization": owner.headers["Authorization"]}
    )

    assert (status, text) == (200, profile)
