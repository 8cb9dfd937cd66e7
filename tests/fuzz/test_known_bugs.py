"""One test per bug the fuzz tests found, each the smallest request that showed it (a 5xx, or
something stored that should not be): regression tests, now that each is fixed; those still
open are at the end, marked `xfail(strict=True)` (drop the mark with the fix).

Run them: `.venv/bin/python -m pytest tests/fuzz/test_known_bugs.py`.
"""

from __future__ import annotations

import dataclasses
import secrets
import time

import pytest

from tests.fuzz import catalogue as c
from tests.fuzz import messages as msg
from tests.fuzz import mutations as m
from tests.fuzz.checks import run_example
from tests.fuzz.exchange import Raw, TokenSpec, endpoints, proof_spec, sha256_b64url
from tests.fuzz.wire import WireRequest
from tests.fuzz.world import World

BOTH = ("sqlite", "postgresql")


@dataclasses.dataclass(frozen=True)
class Bug:
    name: str
    target: c.Target
    mutations: list
    backends: tuple[str, ...] = BOTH  # where it was found

    def __repr__(self) -> str:
        return self.name


BUGS = [
    Bug(
        # dpop.normalize_htu: urlsplit raises ValueError("Invalid IPv6 URL"), not caught.
        "dpop-htu-that-urlsplit-cannot-parse-is-a-500",
        c.VENDOR_READ,
        [m.ProofClaim("htu", "http://[")],
    ),
    Bug(
        # dpop.verify_proof: math.isfinite(10**400) raises OverflowError (iat, and exp/nbf).
        "dpop-iat-huge-integer-is-a-500",
        c.VENDOR_READ,
        [m.ProofClaim("iat", Raw("1" + "0" * 400))],
    ),
    Bug(
        # jose.parse_compact catches ValueError, not the RecursionError json.loads raises on
        # JSON nested ~1000 deep: a 500 for any JWS (proofs, access requests, offers), here on a
        # status URL, which needs no grant.
        "jws-json-nested-1000-deep-is-a-500",
        c.POLL,
        [m.ProofClaim("nonce", Raw("[" * 1000 + "]" * 1000), True)],
    ),
    Bug(
        # dpop.verify_proof: f"{jkt} {jti}".encode() fails on a lone surrogate ("\ud800").
        "dpop-jti-lone-surrogate-is-a-500",
        c.VENDOR_READ,
        [m.ProofClaim("jti", "\ud800" * 8)],
    ),
    Bug(
        # owner_api.audit_log: `before` is not bounded (SQLite OverflowError, PG bigint).
        "audit-before-beyond-64-bits-is-a-500",
        c.OWNER_AUDIT,
        [m.QueryParam("before", "99999999999999999999")],
    ),
    Bug(
        # UTCDateTime.process_bind_param: 0001-01-01T00:00:00+01:00 in UTC is before year 1.
        "audit-since-year-one-with-offset-is-a-500",
        c.OWNER_AUDIT,
        [m.QueryParam("since", "0001-01-01T00:00:00+01:00")],
    ),
    Bug(
        # owner_grants.list_grants: a NUL in ?vendor= goes to PostgreSQL, which refuses it.
        "grants-vendor-filter-with-nul-is-a-500",
        c.OWNER_GRANTS,
        [m.QueryParam("vendor", "a%00b")],
        backends=("postgresql",),
    ),
    Bug(
        # resources.parsing.parse_turtle: rdflib's notation3 parser raises IndexError on a
        # body that ends inside a directive; only its syntax errors are mapped to 400.
        "turtle-ending-after-prefix-keyword-is-a-500",
        c.VENDOR_APPEND,
        [m.Body(b"@prefix", "text/turtle")],
    ),
    Bug(
        # consent.requests: `iri not in purposes()` with a dict iri raises TypeError.
        "access-request-purpose-iri-object-is-a-500",
        c.SUBMIT,
        [m.RequestClaim("purpose", {"iri": {"a": 1}, "description": "x"})],
    ),
    Bug(
        # consent.requests vendor info: urlsplit(homepage) raises ValueError; offers share it.
        "access-request-homepage-bad-ipv6-is-a-500",
        c.SUBMIT,
        [m.RequestClaim("vendor", {"name": "ok", "homepage": "http://["})],
    ),
    Bug(
        # consent.offers.submit: f"offer {vendor_id} {jti}".encode() on a lone surrogate.
        "offer-jti-lone-surrogate-is-a-500",
        c.OFFER,
        [m.OfferClaim("jti", "\ud800" * 8)],
    ),
    Bug(
        # web.settings_pages.save_terms: int(form["count"]) raises ValueError.
        "settings-terms-count-not-a-number-is-a-500",
        c.PAGE_POSTS[1],
        [m.FormField("count", "abc")],
    ),
    Bug(
        # argon2 verify: the old password is encoded to UTF-8; a lone surrogate fails.
        "owner-password-lone-surrogate-is-a-500",
        c.OWNER_PASSWORD,
        [m.JsonField("old_password", "\ud800" * 12)],
    ),
    Bug(
        # OwnerAccount.claim hashes the password before anything else (even when claimed).
        "owner-claim-password-lone-surrogate-is-a-500",
        c.OWNER_CLAIM,
        [m.JsonField("password", "\ud800" * 12)],
    ),
    Bug(
        # OwnerAccount.create_token: the name is stored/encoded with a lone surrogate.
        "owner-token-name-lone-surrogate-is-a-500",
        c.OWNER_TOKENS,
        [m.JsonField("name", "\ud800")],
    ),
    Bug(
        # server.auth._basic_password: base64.b64decode(str) raises ValueError on non-ASCII.
        "basic-credentials-not-ascii-is-a-500",
        c.OWNER_TOKENS_BASIC,
        [m.SetHeader("Authorization", "Basic é")],
    ),
    Bug(
        # intents.accept: the access request is stored before duration_seconds is checked,
        # so a 422 leaves a request with duration -1 behind.
        "offer-accept-bad-duration-is-refused-but-leaves-an-access-request",
        c.OWNER_ACCEPT,
        [m.JsonField("duration_seconds", -1)],
    ),
    Bug(
        # intents.accept: a text duration is stored as is (SQLite; /app/requests then 500s)
        # or refused by PostgreSQL with a 500.
        "offer-accept-duration-as-text-is-stored-or-a-500",
        c.OWNER_ACCEPT,
        [m.JsonField("duration_seconds", "x")],
    ),
    Bug(
        # threads.vendor_start kept the message's self-declared `vendor` (checked by
        # requests.vendor_info, which lets lone surrogates through): /app/messages then 500s.
        "thread-started-by-a-vendor-named-with-a-lone-surrogate-breaks-the-messages-page",
        c.MESSAGE_START,
        [msg.MessageClaim("vendor", {"name": "\ud800"})],
    ),
]


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_known_bug(world: World, bug: Bug):
    endpoint = next(
        e
        for e in endpoints(world.app)
        if (e.name, e.method) == (bug.target.name, bug.target.method)
        and bool(e.arguments) == bug.target.with_arguments
    )
    found = run_example(world, endpoint, bug.target.caller, bug.target.variant, bug.mutations)
    assert found is None, found.report


def test_a_proof_in_the_standard_base64_alphabet_is_refused(world: World):
    """§7.2: each part of a proof is base64url (RFC 7515 §2). jose._b64url_decode passes
    altchars="-_" to base64.b64decode, which then accepts "+" and "/" as well: the same proof
    written with "+" and "/" in its signature is accepted (and, sent to /grants/<id>/return,
    gives the grant back)."""
    world.ensure()
    vendor, url = world.vendor_a, f"{world.url}/data/profile"
    for _ in range(50):  # until the signature has a "-" or "_" to write otherwise
        spec = proof_spec(vendor, with_ath=True)
        claims = {
            "htm": "GET",
            "htu": url,
            "iat": int(time.time()),
            "jti": secrets.token_urlsafe(16),
            "ath": sha256_b64url(vendor.grant_token),
        }
        proof = TokenSpec(spec.key, spec.header, claims).encode()
        head, body, signature = proof.split(".")
        if "-" in signature or "_" in signature:
            break
    else:
        pytest.skip("no proof with a '-' or '_' in its signature")
    # Only the signature is rewritten: the signing input (header.payload) stays as signed.
    standard = f"{head}.{body}." + signature.replace("-", "+").replace("_", "/")
    response, _, logged = world.send(
        WireRequest(
            "GET",
            b"/data/profile",
            [
                ("Authorization", f"DPoP {vendor.grant_token}".encode()),
                ("DPoP", standard.encode()),
            ],
        )
    )
    assert response is not None and response.status == 401, (
        response.describe() if response else logged
    )


def test_page_form_with_a_non_ascii_csrf_token_is_refused_not_a_500(world: World):
    target = c.PAGE_POSTS[2]  # web.create_token, with the page session's cookie
    endpoint = next(
        e
        for e in endpoints(world.app)
        if (e.name, e.method) == (target.name, target.method) and not e.arguments
    )
    found = run_example(
        world, endpoint, target.caller, target.variant, [m.FormField("csrf_token", "é")]
    )
    assert found is None, found.report
