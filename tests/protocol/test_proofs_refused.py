"""3. Replayed proofs and proofs for the wrong URL, method, grant or key (§5, §7.2, §7.3)."""

from __future__ import annotations

import time

import requests

from tests.protocol.helpers import assert_dpop_challenge, assert_problem, granted
from tests.protocol.independent_client import PodClient, VendorKey, ath, new_jti

# -- 3. replayed proofs and proofs for the wrong URL ----------------------------------------------


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
