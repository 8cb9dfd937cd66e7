"""Error descriptions, what vendors can never do, negotiation, access-request refusals."""

from __future__ import annotations

import re
import time

import requests

from tests.protocol.helpers import PROFILE_TURTLE, assert_dpop_challenge, assert_problem, granted
from tests.protocol.independent_client import PodClient, Problem, VendorKey, ath, new_jti

# -- error descriptions (§8.3) -------------------------------------------------------------------


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

    # /data//… names no resource (§1.3): the same 403, like any other invalid path.
    double = f"{server.url}/data//profile"
    response = requests.get(double, headers=pod.grant_headers("GET", double, grant), timeout=10)
    assert_problem(response, 403, "insufficient-scope")

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
