"""Whatever a pod or anyone sends, the relay refuses what does not fit with a problem that
says why, and keeps nothing of it: forged, replayed, oversized, misaddressed, mistyped or
wrongly keyed announcements and withdrawals, intents out of bounds, addresses it will not
send to. And no input makes it answer 500."""

from __future__ import annotations

import base64
import json
import secrets
import threading

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from tests.relay.relay_setup import JWT, Clock, LiveRelay, intent, signed
from vendor_client import VendorKey

FORWARD_TO = "http://127.0.0.1:9/replies/pod-secret-token"
PROBLEMS = "https://w3id.org/vrm-pod/problems#"


def assert_problem(response: requests.Response, status: int, slug: str, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == PROBLEMS + slug
    assert problem["status"] == status
    assert detail in problem["detail"], problem["detail"]


def assert_nothing_kept(relay: LiveRelay) -> None:
    for table in ("relay_announcements", "relay_outbox", "relay_replay", "relay_subscriptions"):
        assert relay.rows(table) == [], table


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def post(relay: LiveRelay, body, path="/announcements", headers=JWT) -> requests.Response:
    return requests.post(f"{relay.url}{path}", data=body, headers=headers, timeout=10)


def announcement(relay: LiveRelay, key: VendorKey | None = None, **claims) -> str:
    fields = {"intent": intent(relay.clock), "forward_to": FORWARD_TO, **claims}
    return signed(
        key or VendorKey.generate(), "intent-announcement+jwt", relay.url, relay.clock, **fields
    )


# -- the signed request itself -----------------------------------------------------------------


def test_a_forged_announcement_is_refused(relay):
    header, payload, signature = announcement(relay).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["forward_to"] = "http://127.0.0.1:9/replies/someone-else"
    forged = ".".join([header, b64(json.dumps(claims).encode()), signature])

    assert_problem(post(relay, forged), 422, "invalid-jws", "Signature verification failed")
    assert_nothing_kept(relay)


def test_an_announcement_is_accepted_once(relay):
    token = announcement(relay)
    assert post(relay, token).status_code == 201

    again = post(relay, token)

    assert_problem(again, 422, "replayed-jws", "this signed announcement was used already")
    assert len(relay.rows("relay_announcements")) == 1


def test_the_same_intent_cannot_be_announced_twice(relay):
    car = intent(relay.clock)
    assert post(relay, announcement(relay, intent=car)).status_code == 201

    second = post(relay, announcement(relay, intent=car))

    assert_problem(second, 409, "already-announced", f"{car['id']} is announced here already")
    assert len(relay.rows("relay_announcements")) == 1


def test_one_intent_announced_at_once_by_many_is_taken_once(relay):
    car = intent(relay.clock)
    tokens = [announcement(relay, intent=car) for _ in range(8)]
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda t=t: answers.append(post(relay, t).status_code))
        for t in tokens
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(answers) == [201] + [409] * 7
    assert len(relay.rows("relay_announcements")) == 1


@pytest.mark.parametrize(
    ("make", "status", "slug", "detail"),
    [
        (lambda r, k: signed(k, "intent-withdrawal+jwt", r.url, r.clock), 422, "invalid-jws",
         "typ header must be 'intent-announcement+jwt'"),
        (lambda r, k: announcement(r, k, aud="https://relay.example"), 422, "invalid-claims",
         "aud must be this relay's base URL"),
        (lambda r, k: announcement(r, k, aud=[r.url]), 422, "invalid-claims", "aud must be"),
        (lambda r, k: announcement(r, k, exp=r.clock.stamp + 601), 422, "invalid-claims",
         "by at most 600 seconds"),
        (lambda r, k: announcement(r, k, iat=r.clock.stamp - 400, exp=r.clock.stamp - 100), 422,
         "invalid-claims", "has expired"),
        (lambda r, k: announcement(r, k, iat=r.clock.stamp + 120, exp=r.clock.stamp + 300), 422,
         "invalid-claims", "iat is in the future"),
        (lambda r, k: announcement(r, k, jti="short"), 422, "invalid-claims", "jti must be"),
        (lambda r, k: announcement(r, k, iat="now"), 422, "invalid-claims", "NumericDates"),
        (lambda r, k: k.sign({"aud": r.url, "intent": {}}, "intent-announcement+jwt"), 422,
         "invalid-claims", "'iat' is required"),
        (lambda r, k: signed(k, "intent-announcement+jwt", r.url, r.clock, intent=intent(r.clock)),
         422, "invalid-claims", "'forward_to' is required"),
        (lambda r, k: k.sign({"aud": r.url}, "intent-announcement+jwt", embed_jwk=False), 422,
         "invalid-jws", "must carry the signer's public key"),
        (lambda r, k: "not.a.jws", 422, "invalid-jws", "not a compact JWS"),
        (lambda r, k: "only-one-part", 422, "invalid-jws", "three parts"),
    ],
    ids=[
        "wrong-typ", "wrong-aud", "aud-list", "long-life", "expired", "future", "short-jti",
        "bad-iat", "no-iat", "no-forward-to", "no-jwk", "garbage", "one-part",
    ],
)  # fmt: skip
def test_a_badly_signed_or_addressed_announcement_is_refused(relay, make, status, slug, detail):
    response = post(relay, make(relay, VendorKey.generate()))

    assert_problem(response, status, slug, detail)
    assert_nothing_kept(relay)


def test_keys_and_algorithms_outside_the_allow_list_are_refused(relay):
    claims = {
        "aud": relay.url,
        "iat": relay.clock.stamp,
        "exp": relay.clock.stamp + 300,
        "jti": secrets.token_urlsafe(12),
        "intent": intent(relay.clock),
        "forward_to": FORWARD_TO,
    }
    key = VendorKey.generate()
    hmac = jwt.encode(
        claims, "s" * 32, "HS256", headers={"typ": "intent-announcement+jwt", "jwk": key.public_jwk}
    )
    p384 = ec.generate_private_key(ec.SECP384R1())
    es384 = jwt.encode(
        claims,
        p384,
        "ES384",
        headers={
            "typ": "intent-announcement+jwt",
            "jwk": json.loads(jwt.algorithms.ECAlgorithm.to_jwk(p384.public_key())),
        },
    )
    private = jwt.encode(
        claims,
        key._private,
        "EdDSA",
        headers={
            "typ": "intent-announcement+jwt",
            "jwk": {**key.public_jwk, "d": b64(b"\0" * 32)},
        },
    )
    mismatched = jwt.encode(
        claims,
        key._private,
        "EdDSA",
        headers={"typ": "intent-announcement+jwt", "jwk": VendorKey.generate("ES256").public_jwk},
    )
    unsigned = ".".join(
        [
            b64(
                json.dumps(
                    {"alg": "none", "typ": "intent-announcement+jwt", "jwk": key.public_jwk}
                ).encode()
            ),
            b64(json.dumps(claims).encode()),
            "",
        ]
    )

    assert_problem(post(relay, hmac), 422, "invalid-jws", "algorithm 'HS256' is not accepted")
    assert_problem(post(relay, es384), 422, "invalid-jws", "algorithm 'ES384' is not accepted")
    assert_problem(post(relay, private), 422, "invalid-jws", "contains private key material")
    assert_problem(post(relay, mismatched), 422, "invalid-jws", "EdDSA needs a Ed25519 key")
    assert_problem(post(relay, unsigned), 422, "invalid-jws", "algorithm 'none' is not accepted")
    assert_nothing_kept(relay)


def test_a_p256_key_may_announce(relay):
    response = post(relay, announcement(relay, VendorKey.generate("ES256")))

    assert response.status_code == 201, response.text


# -- the body ----------------------------------------------------------------------------------


def test_an_oversized_announcement_is_refused_with_or_without_a_length(relay):
    big = intent(relay.clock, description="x" * 2000, must_have=["y" * 200] * 50)
    token = announcement(relay, intent=big)
    assert len(token) > 16384

    declared = post(relay, token)
    chunked = post(relay, (token[i : i + 1000].encode() for i in range(0, len(token), 1000)))

    assert_problem(declared, 413, "payload-too-large", "larger than the relay accepts (16384")
    assert_problem(chunked, 413, "payload-too-large", "larger than the relay accepts (16384")
    assert_nothing_kept(relay)


@pytest.mark.parametrize(
    ("body", "headers", "status", "slug", "detail"),
    [
        (
            "x",
            {"Content-Type": "application/json"},
            415,
            "unsupported-media-type",
            "application/jwt",
        ),
        ("x", {}, 415, "unsupported-media-type", "application/jwt"),
        ("é.é.é".encode(), JWT, 422, "invalid-jws", "must be ASCII"),
        ("", JWT, 422, "invalid-jws", "not a compact JWS"),
    ],
    ids=["json", "no-type", "not-ascii", "empty"],
)
def test_a_body_that_is_not_a_jws_is_refused(relay, body, headers, status, slug, detail):
    assert_problem(post(relay, body, headers=headers), status, slug, detail)
    assert_nothing_kept(relay)


def test_deeply_nested_json_is_refused_not_a_crash(relay):
    nested = "[" * 3000 + "]" * 3000
    token = ".".join(
        [b64(b'{"alg":"EdDSA","typ":"intent-announcement+jwt"}'), b64(nested.encode()), "AA"]
    )
    header_bomb = ".".join([b64(('{"a":' * 2000 + "1" + "}" * 2000).encode()), "e30", "AA"])

    assert_problem(post(relay, token), 422, "invalid-jws", "")
    assert_problem(post(relay, header_bomb), 422, "invalid-jws", "")


# -- the intent --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"reply_to": "https://pod.example/replies/x"}, "leave reply_to out"),
        ({"owner": "Alex"}, "unknown intent member(s): owner"),
        ({"type": "Demand"}, 'intent type must be "Intent"'),
        ({"id": "urn:pds:intent:"}, "intent id must be urn:pds:intent:"),
        ({"id": "https://pod.example/intents/car"}, "intent id must be urn:pds:intent:"),
        ({"name": ""}, "name must be text of 1 to 200"),
        ({"name": "car\u0000"}, "name cannot contain control characters"),
        ({"name": "car\ud800"}, "name cannot contain control characters"),
        ({"description": "d" * 2001}, "description must be text of 0 to 2000"),
        ({"category": {"notation": "424242"}}, "category notation '424242' is not in the list"),
        (
            {
                "category": {
                    "notation": "916",
                    "id": "https://evil.example/916",
                    "name": "C",
                    "path": "C",
                }
            },
            "category 916 has the id",
        ),
        ({"must_have": ["x"] * 51}, "must_have must be a list of at most 50"),
        ({"must_have": "automatic"}, "must_have must be a list"),
        ({"budget": {"max": "cheap", "min": None, "currency": "GBP"}}, "budget max must be"),
        ({"budget": {"max": "1", "currency": "pounds"}}, "budget currency must be"),
        ({"near": {"country": "Britain"}}, "near country must be"),
        ({"near": {"country": "GB", "street": "1 Example Street"}}, "near is null or an object"),
        ({"offers_until": "2000-01-01"}, "offers_until has passed"),
        ({"offers_until": "2999-01-01"}, "offers_until is at most 366 days"),
        ({"offers_until": "20270131"}, "offers_until must be a date"),
        ({"offers_until": "2027-02-30"}, "offers_until is not a real date"),
        ({"wanted_by": 2027}, "wanted_by must be a date"),
        (
            {"agreement": {"id": "SD-BASE"}},
            'agreement must be the IEEE 7012 agreement with id "PDC-INTENT"',
        ),
    ],
)
def test_an_intent_out_of_bounds_is_refused(relay, changes, detail):
    response = post(relay, announcement(relay, intent=intent(relay.clock, **changes)))

    assert_problem(response, 422, "invalid-intent", detail)
    assert_nothing_kept(relay)


@pytest.mark.parametrize(
    ("forward_to", "detail"),
    [
        ("http://pod.example/replies/t", "must be an https URL"),
        ("https://127.0.0.1/replies/t", "must not point to this machine or a private network"),
        ("https://localhost/replies/t", "must not point to this machine"),
        ("https://10.1.2.3/replies/t", "must not point to this machine"),
        ("https://[::1]/replies/t", "must not point to this machine"),
        ("https://2130706433/replies/t", "must not point to this machine"),
        ("https://user:pw@pod.example/replies/t", "no credentials"),
        ("https://pod.example/replies/t?x=1", "no query"),
        ("https://pod.example/replies/t/", "must not end with /"),
        ("https://pod.example/replies/t#f", "must not have a fragment"),
        ("https://pod.example/replies/t t", "printable ASCII"),
        ("https://pod.example:99999/replies/t", "not a valid URL"),
        (42, "must be a URL"),
    ],
)
def test_a_production_relay_refuses_addresses_it_must_not_send_to(
    relay_store_url, clock: Clock, forward_to, detail
):
    strict = LiveRelay(relay_store_url, clock, allow_private=False)
    try:
        response = post(strict, announcement(strict, forward_to=forward_to))
        assert_problem(response, 422, "refused-address", detail)
        assert_nothing_kept(strict)
    finally:
        strict.stop()


# -- no 500, whatever comes --------------------------------------------------------------------


def test_no_request_makes_the_relay_fail(relay):
    key = VendorKey.generate()
    hostile_claims = [
        {"intent": None, "forward_to": None},
        {"intent": [], "forward_to": []},
        {"intent": {"category": "916"}, "forward_to": FORWARD_TO},
        {"intent": intent(relay.clock, category=None), "forward_to": FORWARD_TO},
        {"intent": intent(relay.clock, near=[]), "forward_to": FORWARD_TO},
        {"intent": intent(relay.clock, budget="lots"), "forward_to": FORWARD_TO},
        {"intent": intent(relay.clock, agreement=None), "forward_to": FORWARD_TO},
        {"intent": intent(relay.clock, category={"notation": 916}), "forward_to": FORWARD_TO},
        {"intent": intent(relay.clock), "forward_to": "http://[::1"},
        {"intent": intent(relay.clock), "forward_to": "\u0000"},
        {"jti": 12345678901, "intent": intent(relay.clock), "forward_to": FORWARD_TO},
        {"exp": 2**63, "intent": intent(relay.clock), "forward_to": FORWARD_TO},
    ]
    bodies = [
        signed(key, "intent-announcement+jwt", relay.url, relay.clock, **c) for c in hostile_claims
    ]
    bodies += ["..", "a.b.c", "e30.e30.", "W10.W10.AA", "bnVsbA.bnVsbA.AA", "\x00", "." * 20000]
    paths = [
        "/announcements",
        "/announcements/x/withdraw",
        "/subscriptions",
        "/subscriptions/x/cancel",
        "/replies/x",
    ]

    statuses = set()
    for path in paths:
        for body in bodies:
            response = post(relay, body.encode("latin-1", "replace"), path)
            statuses.add(response.status_code)
            assert response.status_code < 500, (path, body[:80], response.text)
            assert response.headers["Content-Type"] == "application/problem+json"
    for url in [
        "/feed?page=99999999999999999999",
        "/feed?category=%00",
        "/feed?country=%FF",
        "/feed?page=1e3",
        "/replies/%00/offers/%00",
        "/replies/" + "a" * 5000 + "/offers/x",
        "/announcements//withdraw",
        "/.well-known/intent-relay/x",
    ]:
        response = requests.get(relay.url + url, timeout=10)
        statuses.add(response.status_code)
        assert response.status_code < 500, (url, response.text)
    for path, typ, claim in (
        ("/announcements/%00/withdraw", "intent-withdrawal+jwt", "announcement"),
        ("/subscriptions/%00/cancel", "relay-unsubscribe+jwt", "subscription"),
    ):
        token = signed(key, typ, relay.url, relay.clock, **{claim: "\u0000"})
        response = post(relay, token, path)
        statuses.add(response.status_code)
        assert response.status_code == 404, response.text
    assert statuses <= {400, 401, 404, 405, 413, 422}
    assert_nothing_kept(relay)
