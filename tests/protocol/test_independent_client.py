"""The story of docs/protocol.md, played by a client written from the document alone.

The client (``independent_client``) uses jwcrypto, not PyJWT, and knows nothing of the server
code or of ``vendor_client``. The owner side is driven over HTTP through the owner API (§12).
Where the document and the pod disagree the test follows the document and is marked
``xfail(strict=True)`` with the mismatch in its reason.
"""

from __future__ import annotations

import dataclasses
import gzip
import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import requests
from jwcrypto import jwk, jws
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from tests.protocol.independent_client import (
    PROBLEM_BASE,
    Grant,
    PodClient,
    Problem,
    VendorKey,
    ath,
    b64url_decode,
    jws_header,
    jws_payload,
    new_jti,
    thumbprint,
)

SCHEMA = Namespace("https://schema.org/")
LDP = Namespace("http://www.w3.org/ns/ldp#")
EMAIL = str(SCHEMA.email)
NAME = str(SCHEMA.name)
DPOP_CHALLENGE = 'DPoP algs="EdDSA ES256", error="{error}", error_description="{description}"'
DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"

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


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def settings(settings):
    """§10.1: a development pod (``PDS_ALLOW_PRIVATE_CALLBACKS=true``) takes loopback callbacks.

    The in-process test server is built from a ``Settings`` object, not the environment, so the
    setting is passed as the field of that name (found by listing the dataclass's fields).
    """
    return dataclasses.replace(settings, allow_private_callbacks=True)


class CallbackInbox:
    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []  # (Content-Type, body)
        self.lock = threading.Lock()
        inbox = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("ascii")
                with inbox.lock:
                    inbox.received.append((self.headers.get("Content-Type", ""), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/pds-events"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for item in self.received:
                    if predicate(item):
                        return item
            time.sleep(0.1)
        raise AssertionError(f"no matching notification within {timeout}s: {self.received}")


@pytest.fixture
def inbox() -> Iterator[CallbackInbox]:
    box = CallbackInbox()
    yield box
    box.httpd.shutdown()
    box.httpd.server_close()


@pytest.fixture
def profile(server, owner) -> Graph:
    """The owner writes a profile as Turtle through the data API (§12) and gets it back."""
    url = f"{server.url}/data/profile"
    response = owner.put(
        url, data=PROFILE_TURTLE.encode(), headers={"Content-Type": "text/turtle"}, timeout=10
    )
    assert response.status_code in (200, 201, 204), response.text
    stored = owner.get(url, headers={"Accept": "text/turtle"}, timeout=10)
    assert stored.status_code == 200, stored.text
    graph = Graph().parse(data=stored.text, format="turtle", publicID=url)
    assert (URIRef(f"{url}#me"), SCHEMA.email, Literal("alex@example.org")) in graph
    return graph


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


# -- the document's own vectors (no pod needed) ----------------------------------------------------


def test_thumbprints_match_the_worked_examples_of_section_3_2():
    assert (
        thumbprint(
            {"kty": "OKP", "crv": "Ed25519", "x": "k9s9f0kDaKnrEtKhDSl920Ay_qC3JJhhL2nS-8Muqgc"}
        )
        == "_CNnzh6wzvbRG_OSLRl6LxWvxoiieRyp6dYx_kFc0Ng"
    )
    p256 = {
        "kty": "EC",
        "crv": "P-256",
        "x": "B_rWuOXG-vPQxrd9OGELiAisCQ2u31JhR-N9ofMpLFs",
        "y": "bqXr_ykW_x7aatPb8yFDBtC9rxH1TLaS8dmZLYS7YiE",
    }
    assert thumbprint(p256) == "YaTchOAjjQh_q8CgtKtwwlcm-C1OTWu04JOoxZrAgLE"
    rfc8037 = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(rfc8037) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    # jwcrypto agrees with the document's recipe, for fresh keys of both kinds.
    for curve in ("Ed25519", "P-256"):
        key = VendorKey.generate(curve)
        assert key.vendor_id == jwk.JWK(**key.public_jwk).thumbprint()


def test_the_documents_signed_examples_verify():
    """Every full JWS in the document verifies with the key the document gives for it."""
    text = DOC.read_text()
    vendor = jwk.JWK(kty="OKP", crv="Ed25519", x="k9s9f0kDaKnrEtKhDSl920Ay_qC3JJhhL2nS-8Muqgc")
    pod = jwk.JWK(kty="OKP", crv="Ed25519", x="5NbydXHJD12IYXM44GpsSDNX84mAbOfGyjxLgQJER-I")
    complete = re.findall(r"(?<![\w.-])(eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{86})(?![\w.…-])", text)
    typs = {}
    for token in complete:
        header = jws_header(token)
        obj = jws.JWS()
        obj.deserialize(token)
        obj.allowed_algs = ["EdDSA"]
        obj.verify(pod if "kid" in header else vendor, alg="EdDSA")
        typs[header["typ"]] = jws_payload(token)
    assert set(typs) == {"pds-access-request+jwt", "dpop+jwt", "pds-notification+jwt"}
    # §7.2: the data-request proof carries the ath the document quotes.
    assert "OLn4ZjC7MVPGoHrLJrxdx8GLrGsEev6OSX7Ac3vFGYA" in text
    assert typs["pds-notification+jwt"]["type"] == "Revoke"


def test_the_status_list_worked_example_of_section_9_3():
    after = "uH4sIAAAAAAACA-3QMQEAAAwCIO1f2gp79kEEEgAeVQEAAAAAAAAAAAAAAAAAABcDWw3fDABAAAA"
    before = "uH4sIAAAAAAACA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
    bits_after = gzip.decompress(b64url_decode(after[1:]))
    bits_before = gzip.decompress(b64url_decode(before[1:]))
    assert len(bits_after) == len(bits_before) == 16384
    assert [(i, b) for i, b in enumerate(bits_after) if b] == [(1383, 0x01)]
    assert bits_before.count(0) == 16384
    assert bits_after[11071 // 8] & (0x80 >> (11071 % 8))


# -- 1. the story ----------------------------------------------------------------------------------


@pytest.mark.parametrize("curve", ["Ed25519", "P-256"])
def test_the_story_of_the_document(server, owner, profile, inbox, curve):
    pod = PodClient(server.url, VendorKey.generate(curve))

    # §2: discovery, the JWKS and the catalogue.
    config = pod.discover()
    assert config["data_endpoint"] == f"{server.url}/data/"
    jwks_response = requests.get(config["jwks_uri"], timeout=10)
    assert jwks_response.headers["Content-Type"].startswith("application/jwk-set+json")
    assert jwks_response.headers["Cache-Control"] == "public, max-age=300"
    [catalogue_profile] = [r for r in config["resources"] if r["resource"] == "/profile"]
    assert {EMAIL, NAME} <= {f["iri"] for f in catalogue_profile["fields"]}
    purposes = {p["iri"] for p in config["purposes_supported"]}
    assert "https://w3id.org/dpv#ServiceProvision" in purposes

    # §4: ask for read on the profile's e-mail and name.
    pending = pod.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [NAME, EMAIL]}],
        callback=inbox.url,
        duration=86400,
    )
    assert len(pending.id) == 22
    assert pending.status_url == f"{server.url}/access-requests/{pending.id}"

    # §5: a DPoP-only poll while pending.
    first = pod.poll(pending)
    assert first.status_code == 200, first.text
    assert first.headers["Retry-After"] == "5"
    assert first.headers["Cache-Control"] == "no-store"
    body = first.json()
    assert body["status"] == "pending"
    assert body["decided_at"] is None
    assert body["requested_scopes"] == [
        {"resource": "/profile", "modes": ["read"], "fields": sorted([EMAIL, NAME])}
    ]
    head = pod.poll(pending, method="HEAD")
    assert head.status_code == 200
    assert head.headers["Retry-After"] == "5"
    assert head.content == b""

    # §12: the owner sees the request, unverified, and approves narrower: e-mail only.
    seen = find_pending(server, owner, pending.id)
    assert seen["vendor_id"] == pod.key.vendor_id
    assert seen["vendor"]["verified"] is False
    narrower = [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}]
    grant_object = approve(server, owner, pending.id, {"scopes": narrower})
    assert grant_object["state"] == "active"
    assert grant_object["scopes"][0]["fields"] == [EMAIL]
    assert "grant" not in grant_object

    # §5, §6.2: poll until approved; the client verifies the grant against the JWKS.
    grant = pod.wait(pending, max_interval=0.2)
    assert grant.claims["cnf"]["jkt"] == pod.key.vendor_id == thumbprint(pod.key.public_jwk)
    assert grant.claims["sub"] == pod.key.vendor_id
    assert grant.claims["scopes"] == [
        {"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}
    ]
    assert grant.claims["nbf"] == grant.claims["iat"]
    assert grant.claims["exp"] == grant.claims["iat"] + 86400
    assert grant.claims["request"] == pending.id
    assert grant.id == grant_object["id"]
    assert jws_header(grant.token)["kid"] in {k["kid"] for k in jwks_response.json()["keys"]}
    status = grant.claims["credentialStatus"]
    assert status["statusListCredential"] == config["status_list_uri"]
    assert status["id"] == f"{config['status_list_uri']}#{status['statusListIndex']}"
    assert isinstance(status["statusListIndex"], str)
    approved = pod.poll(pending).json()
    assert approved["grant_state"] == "active"
    assert approved["scopes"] == grant.claims["scopes"]
    assert "Retry-After" not in pod.poll(pending).headers

    # §7.5: only the e-mail triples come back, in every media type.
    url = f"{server.url}/data/profile"
    expected = only(profile, SCHEMA.email)
    assert len(expected) == 2
    etags = set()
    for accept, fmt, content_type in [
        ("text/turtle", "turtle", "text/turtle; charset=utf-8"),
        ("application/ld+json", "json-ld", "application/ld+json"),
        ("application/n-triples", "nt", "application/n-triples"),
    ]:
        response = pod.read("/profile", grant, accept=accept)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == content_type
        assert response.headers["Cache-Control"] == "private, no-cache"
        etags.add(response.headers["ETag"])
        assert_security_headers(response)
        assert isomorphic(parse(response, fmt, url), expected), response.text
    assert len(etags) == 3

    # §7.5: a conditional read with the Turtle ETag is a 304.
    turtle_etag = pod.read("/profile", grant).headers["ETag"]
    not_modified = pod.read("/profile", grant, **{"If-None-Match": turtle_etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""

    # §11: the consent receipt.
    receipt = pod.verify_receipt(grant)
    assert receipt["consentReceiptID"] == grant.id
    assert receipt["consentTimestamp"] == grant.claims["iat"] == receipt["iat"]
    assert receipt["piiControllers"][0]["id"] == pod.key.vendor_id
    assert receipt["piiControllers"][0]["verified"] is False
    [purpose] = receipt["services"][0]["purposes"]
    assert purpose["piiCategory"] == ["/profile: Email address"]
    assert receipt["scopes"] == grant.claims["scopes"]
    assert "exp" not in receipt
    owners_copy = owner.get(f"{server.url}/owner/grants/{grant.id}/receipt", timeout=10)
    assert owners_copy.json()["jws"] == grant.receipt
    assert owners_copy.json()["receipt"] == receipt
    expires_at = datetime.fromisoformat(approved["expires_at"])
    assert expires_at.utcoffset() is not None
    assert expires_at.timestamp() == grant.claims["exp"]

    # §9.3: not revoked yet, in either form of the list.
    assert pod.is_revoked(grant, signed=True) is False
    assert pod.is_revoked(grant, signed=False) is False

    # §9.1: the owner revokes; the next read is refused.
    revoked = owner.post(f"{server.url}/owner/grants/{grant.id}/revoke", timeout=10)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "revoked"
    assert revoked.json()["revoked_by"] == "owner"
    refused = pod.read("/profile", grant)
    assert_problem(refused, 401, "grant-revoked", "the grant was revoked")
    assert refused.json()["title"] == "Grant revoked"
    assert_dpop_challenge(refused, "invalid_token", "the grant was revoked")
    assert_security_headers(refused)
    assert pod.poll(pending).json()["grant_state"] == "revoked"

    # §9.3: the grant's bit is set.
    assert pod.is_revoked(grant, signed=True) is True
    assert pod.is_revoked(grant, signed=False) is True

    # §10: a signed Revoke notification reaches the callback.
    def is_revoke(item):
        return jws_payload(item[1]).get("type") == "Revoke"

    content_type, token = inbox.wait_for(is_revoke)
    assert content_type.startswith("application/jwt")
    notification = pod.verify_notification(token)
    assert notification is not None
    assert notification["grant"] == grant.id
    assert notification["revoked_by"] == "owner"
    assert len(notification["jti"]) == 16
    assert pod.verify_notification(token) is None  # a duplicate is recognised


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


# -- 3. replayed proofs and proofs for the wrong URL ----------------------------------------------


@pytest.fixture
def whole_profile(server, owner, profile) -> tuple[PodClient, Grant]:
    pod = PodClient(server.url, VendorKey.generate("Ed25519"))
    pod.discover()
    # §12: "{}" approves as asked.
    grant = granted(pod, server, owner, [{"resource": "/profile", "modes": ["read"]}], {})
    return pod, grant


def test_a_replayed_proof_is_refused(server, whole_profile):
    pod, grant = whole_profile
    url = f"{server.url}/data/profile"
    headers = pod.grant_headers("GET", url, grant)
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    replayed = requests.get(url, headers=headers, timeout=10)
    detail = "the DPoP proof was already used: make a new one per request"
    assert_problem(replayed, 401, "invalid-dpop-proof", detail)
    assert replayed.json()["title"] == "Invalid DPoP proof"
    assert_dpop_challenge(replayed, "invalid_dpop_proof", detail)
    # A fresh proof works again: the grant is not harmed by the replay.
    assert pod.read("/profile", grant).status_code == 200


def test_a_replayed_poll_is_refused(server, owner):
    pod = PodClient(server.url, VendorKey.generate("P-256"))
    pod.discover()
    pending = pod.request_access([{"resource": "/preferences", "modes": ["read"]}])
    proof = pod.key.proof("GET", pending.status_url)
    assert requests.get(pending.status_url, headers={"DPoP": proof}, timeout=10).status_code == 200
    replayed = requests.get(pending.status_url, headers={"DPoP": proof}, timeout=10)
    assert_problem(replayed, 401, "invalid-dpop-proof")
    assert_dpop_challenge(replayed, "invalid_dpop_proof", replayed.json()["detail"])


def test_a_proof_for_another_url_is_refused(server, whole_profile):
    pod, grant = whole_profile
    url = f"{server.url}/data/profile"
    detail = "the proof's htu does not match this request's URL"
    for wrong in (
        f"{server.url}/data/preferences",
        url.replace("127.0.0.1", "localhost"),
        f"{server.url}/data/profile/",
        f"{server.url}/data/Profile",
    ):
        headers = {
            "Authorization": f"DPoP {grant.token}",
            "DPoP": pod.key.proof("GET", wrong, grant.token),
        }
        response = requests.get(url, headers=headers, timeout=10)
        assert_problem(response, 401, "invalid-dpop-proof", detail)
        assert_dpop_challenge(response, "invalid_dpop_proof", detail)


def test_htu_is_compared_after_the_normalisation_of_section_7_3(server, whole_profile):
    pod, grant = whole_profile
    port = server.url.rsplit(":", 1)[1]
    claims = {
        "htm": "GET",
        "htu": f"HTTP://127.0.0.1:{port}/data/%70rofile?x=1#frag",
        "iat": int(time.time()),
        "jti": new_jti(),
        "ath": ath(grant.token),
    }
    headers = {"Authorization": f"DPoP {grant.token}", "DPoP": pod.key.sign("dpop+jwt", claims)}
    response = requests.get(f"{server.url}/data/profile", headers=headers, timeout=10)
    assert response.status_code == 200, response.text


def test_a_proof_for_another_method_or_grant_or_key_is_refused(server, owner, whole_profile):
    pod, grant = whole_profile
    url = f"{server.url}/data/profile"

    # The wrong htm.
    headers = {
        "Authorization": f"DPoP {grant.token}",
        "DPoP": pod.key.proof("POST", url, grant.token),
    }
    assert_problem(requests.get(url, headers=headers, timeout=10), 401, "invalid-dpop-proof")

    # The wrong ath (a proof made for another grant of the same key).
    other = granted(pod, server, owner, [{"resource": "/profile", "modes": ["read"]}])
    headers = {
        "Authorization": f"DPoP {grant.token}",
        "DPoP": pod.key.proof("GET", url, other.token),
    }
    assert_problem(requests.get(url, headers=headers, timeout=10), 401, "invalid-dpop-proof")

    # Another key than cnf.jkt.
    thief = VendorKey.generate("Ed25519")
    headers = {"Authorization": f"DPoP {grant.token}", "DPoP": thief.proof("GET", url, grant.token)}
    assert_problem(requests.get(url, headers=headers, timeout=10), 401, "invalid-dpop-proof")

    # A proof from more than 60 s ago.
    headers = {
        "Authorization": f"DPoP {grant.token}",
        "DPoP": pod.key.proof("GET", url, grant.token, iat=time.time() - 120),
    }
    stale = requests.get(url, headers=headers, timeout=10)
    assert_problem(
        stale, 401, "invalid-dpop-proof", "the proof was not made within the last 60 seconds"
    )


def test_a_head_poll_needs_a_head_proof(server):
    pod = PodClient(server.url, VendorKey.generate("Ed25519"))
    pod.discover()
    pending = pod.request_access([{"resource": "/preferences", "modes": ["read"]}])
    proof = pod.key.proof("GET", pending.status_url)
    response = requests.head(pending.status_url, headers={"DPoP": proof}, timeout=10)
    assert response.status_code == 401
    assert_dpop_challenge(
        response, "invalid_dpop_proof", "the proof is for 'GET', not this HEAD request"
    )


def test_another_keys_poll_gets_the_same_404_as_a_missing_request(server):
    pod = PodClient(server.url, VendorKey.generate("Ed25519"))
    pod.discover()
    pending = pod.request_access([{"resource": "/preferences", "modes": ["read"]}])
    stranger = VendorKey.generate("P-256")
    theirs = requests.get(
        pending.status_url, headers={"DPoP": stranger.proof("GET", pending.status_url)}, timeout=10
    )
    missing_url = f"{server.url}/access-requests/{'A' * 22}"
    missing = requests.get(
        missing_url, headers={"DPoP": stranger.proof("GET", missing_url)}, timeout=10
    )
    assert_problem(theirs, 404, "request-not-found")
    assert_problem(missing, 404, "request-not-found")
    assert theirs.json() == missing.json()


def test_error_descriptions_are_sanitised_as_section_8_3_says(server, whole_profile):
    """A detail quoting what the client sent keeps it; the challenge replaces ``"``, ``\\``
    and non-printable-ASCII characters with ``?``."""
    pod, grant = whole_profile
    url = f"{server.url}/data/profile"
    claims = {
        "htm": 'G"E\\T\u00e9',
        "htu": url,
        "iat": int(time.time()),
        "jti": new_jti(),
        "ath": ath(grant.token),
    }
    headers = {"Authorization": f"DPoP {grant.token}", "DPoP": pod.key.sign("dpop+jwt", claims)}
    response = requests.get(url, headers=headers, timeout=10)
    problem = assert_problem(response, 401, "invalid-dpop-proof")
    detail = problem.body["detail"]
    assert '"' in detail
    assert "\\" in detail
    assert "\u00e9" in detail
    sanitised = re.sub(r'[^\x20-\x7e]|["\\\\]', "?", detail)[:300]
    assert '"' not in sanitised
    assert "\u00e9" not in sanitised
    assert_dpop_challenge(response, "invalid_dpop_proof", sanitised)


# -- what vendors can never do (§7.4, §7.7, §8) --------------------------------------------------


def test_what_a_vendor_can_never_do(server, whole_profile):
    pod, grant = whole_profile
    url = f"{server.url}/data/profile"

    # PUT, PATCH and DELETE are refused whatever the grant.
    for method in ("PUT", "PATCH", "DELETE"):
        response = requests.request(
            method,
            url,
            data=PROFILE_TURTLE.encode(),
            headers={"Content-Type": "text/turtle", **pod.grant_headers(method, url, grant)},
            timeout=10,
        )
        detail = "the grant does not allow write on /profile"
        assert_problem(response, 403, "insufficient-scope", detail)
        assert_dpop_challenge(response, "insufficient_scope", detail)

    # The root listings, other documents, invalid paths: all the same 403.
    own = f"/vendors/{pod.key.vendor_id}/"
    for path in ("/", "/vendors/", "/preferences", own, f"{own}%2e%2e/%2e%2e/profile"):
        response = pod.read(path, grant)
        assert_problem(response, 403, "insufficient-scope")
        assert response.json()["title"] == "Not covered by the grant"

    # /data//… is no endpoint at all.
    double = f"{server.url}/data//profile"
    response = requests.get(double, headers=pod.grant_headers("GET", double, grant), timeout=10)
    assert_problem(response, 404, "not-found")
    assert response.json()["title"] == "Not Found"

    # Without DPoP the data API is the owner's.
    bare = requests.get(url, timeout=10)
    assert_problem(bare, 401, "unauthenticated")
    assert bare.headers["WWW-Authenticate"] == 'Bearer realm="pod"'
    basic = requests.get(url, auth=("vendor", "secret"), timeout=10)
    assert_problem(basic, 401, "invalid-credentials")
    assert basic.headers["WWW-Authenticate"] == 'Bearer realm="pod", error="invalid_token"'
    junk = requests.get(
        url, headers={"Authorization": "DPoP abc", "DPoP": pod.key.proof("GET", url)}, timeout=10
    )
    assert_problem(junk, 401, "invalid-grant")
    assert_dpop_challenge(junk, "invalid_token", junk.json()["detail"])

    # §7.5: negotiation.
    assert_problem(pod.read("/profile", grant, accept="application/json"), 406, "not-acceptable")
    assert pod.read("/profile", grant, accept="application/*").headers["Content-Type"] == (
        "application/ld+json"
    )
    assert pod.read("/profile", grant, accept="text/*").headers["Content-Type"] == (
        "text/turtle; charset=utf-8"
    )


def test_whole_document_etags_follow_section_7_5(server, owner, whole_profile):
    pod, grant = whole_profile
    turtle = pod.read("/profile", grant)
    jsonld = pod.read("/profile", grant, accept="application/ld+json")
    ntriples = pod.read("/profile", grant, accept="application/n-triples")
    version = turtle.headers["ETag"]
    assert re.fullmatch(r'"[^"]+"', version)
    assert jsonld.headers["ETag"] == version[:-1] + '-jsonld"'
    assert ntriples.headers["ETag"] == version[:-1] + '-nt"'
    assert isinstance(jsonld.json()["@context"], dict)  # inline, never a reference
    # An ETag names one media type's bytes.
    cross = pod.read("/profile", grant, accept="application/ld+json", **{"If-None-Match": version})
    assert cross.status_code == 200
    same = pod.read("/profile", grant, accept="application/ld+json", **{"If-None-Match": "*"})
    assert same.status_code == 304
    # The owner may use any of the three in If-Match.
    url = f"{server.url}/data/profile"
    put = owner.put(
        url,
        data=PROFILE_TURTLE.encode(),
        headers={"Content-Type": "text/turtle", "If-Match": ntriples.headers["ETag"]},
        timeout=10,
    )
    assert put.status_code in (200, 204), put.text


# -- access requests (§4) -------------------------------------------------------------------------


def test_access_request_refusals_of_section_4_5(server):
    pod = PodClient(server.url, VendorKey.generate("P-256"))
    pod.discover()
    scopes = [{"resource": "/profile"}]
    signed = pod.sign_access_request(scopes)

    wrong_type = requests.post(
        pod.config["access_request_endpoint"],
        data=signed,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert_problem(wrong_type, 415, "unsupported-media-type")
    assert wrong_type.headers["Accept-Post"] == "application/jwt"

    assert pod.submit(f"  {signed}\n").status_code == 202  # surrounding white space is ignored
    assert_problem(
        pod.submit(signed), 422, "invalid-input", "this signed request was already submitted"
    )
    assert_problem(
        pod.submit(pod.sign_access_request(scopes, terms=[])),
        422,
        "invalid-input",
        "the customer requires these terms to be accepted: "
        "delete-when-ended, no-resale, use-for-stated-purpose",
    )
    assert_problem(
        pod.submit(pod.sign_access_request(scopes, lifetime=601)),
        422,
        "invalid-input",
        "a request must expire within 600 s of its iat",
    )
    assert_problem(
        pod.submit(pod.sign_access_request([{"resource": "/profile", "modes": ["append"]}])),
        422,
        "invalid-input",
        "/profile can only be read by vendors",
    )
    assert_problem(
        pod.submit(pod.sign_access_request(scopes, duration=59)),
        422,
        "invalid-input",
        "duration is a number of seconds from 60 to 31622400",
    )
    # aud may be an array holding the issuer; iss is ignored; extra public JWK members too.
    now = int(time.time())
    claims = {
        "aud": ["https://elsewhere.example", pod.issuer],
        "iss": 42,
        "iat": now,
        "exp": now + 300,
        "jti": new_jti(),
        "vendor": {"name": "  Padded Shop  "},
        "scopes": [{"resource": "/profile", "modes": ["read", "read"]}],
        "purpose": {"iri": "https://w3id.org/dpv#ServiceProvision", "description": "x"},
        "duration": 3600,
        "terms": pod.required_terms(),
    }
    pod.key.public_jwk = {**pod.key.public_jwk, "kid": "mine", "use": "sig"}
    accepted = pod.submit(pod.key.sign("pds-access-request+jwt", claims))
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["vendor_id"] == pod.key.vendor_id


# -- notifications (§10) --------------------------------------------------------------------------


def test_notifications_follow_what_the_grant_can_see(server, owner, profile, inbox):
    pod = PodClient(server.url, VendorKey.generate("Ed25519"))
    pod.discover()
    container = f"/vendors/{pod.key.vendor_id}/"
    pending = pod.request_access(
        [
            {"resource": "/profile", "modes": ["read"], "fields": [EMAIL]},
            {"resource": container, "modes": ["append", "read"]},
        ],
        callback=inbox.url,
    )
    approve(server, owner, pending.id)
    grant = pod.wait(pending, max_interval=0.2)
    url = f"{server.url}/data/profile"

    def put_profile(text: str) -> None:
        response = owner.put(
            url, data=text.encode(), headers={"Content-Type": "text/turtle"}, timeout=10
        )
        assert response.status_code in (200, 204), response.text

    # A change the grant cannot see sends nothing; one it can see sends an Update.
    put_profile(PROFILE_TURTLE.replace("+44 20 7946 0000", "+44 20 7946 0999"))
    put_profile(PROFILE_TURTLE.replace(', "alex.example@example.org"', ""))
    # The vendor's own record sends it nothing; the owner's note sends Create, then Delete.
    own = pod.append(container, grant, '<#r> <https://schema.org/name> "mine" .', slug="mine")
    assert own.status_code == 201, own.text
    note = owner.post(
        pod.resource_url(container),
        data=b'<#n> <https://schema.org/text> "a note" .',
        headers={"Content-Type": "text/turtle", "Slug": "note"},
        timeout=10,
    )
    assert note.status_code == 201, note.text
    assert owner.delete(note.headers["Location"], timeout=10).status_code in (200, 204)

    def of_type(kind):
        return lambda item: jws_payload(item[1]).get("type") == kind

    for kind, obj in (("Update", url), ("Create", note.headers["Location"])):
        _, token = inbox.wait_for(of_type(kind))
        claims = pod.verify_notification(token)
        assert claims["object"] == obj
        assert claims["grant"] == grant.id
    _, token = inbox.wait_for(of_type("Delete"))
    assert pod.verify_notification(token)["object"] == note.headers["Location"]
    time.sleep(1.0)  # anything else would have come by now
    kinds = sorted(jws_payload(body)["type"] for _, body in inbox.received)
    assert kinds == ["Create", "Delete", "Update"]


# -- where the document and the pod disagreed once -------------------------------------------------


def test_htu_keeps_the_escapes_of_reserved_characters(server, owner):
    pod = PodClient(server.url, VendorKey.generate("Ed25519"))
    pod.discover()
    container = f"/vendors/{pod.key.vendor_id}/"
    grant = granted(pod, server, owner, [{"resource": container, "modes": ["append", "read"]}])
    created = pod.append(f"{container}a/", grant, '<#x> <https://schema.org/name> "x" .', slug="b")
    assert created.status_code == 201, created.text
    outcomes = {}
    for escaped in ("a%2Fb", "%22q%22", "%20", "%25", "%C3%A9", "x%3Fy"):
        response = pod.read(container + escaped, grant)
        slug = Problem.of(response).slug if response.status_code >= 400 else None
        outcomes[escaped] = (response.status_code, slug)
    # An encoded slash decodes to a valid path (§1.3: checked after percent-decoding); every
    # other one is not a valid resource path, so outside every scope: 403 like any other (§7.4).
    expected = {escaped: (403, "insufficient-scope") for escaped in outcomes}
    expected["a%2Fb"] = (200, None)
    assert outcomes == expected


def test_the_owners_writes_are_audited_as_section_12_says(server, owner, profile):
    events = owner.get(
        f"{server.url}/owner/audit", params={"action": "data.write"}, timeout=10
    ).json()["events"]
    assert events
    assert {event["actor"] for event in events} == {"owner"}
    assert {event["outcome"] for event in events} == {"ok"}
    assert {event["detail"]["change"] for event in events} <= {"created", "changed", "deleted"}
