"""Every hostile value the mutations know, each sent once, to requests where it means something.

Hypothesis draws mutations at random and combines them; with a few hundred examples a value
listed once among hundreds is rarely drawn. The catalogue makes sure each one is sent on every
run: a proof claim to the vendor endpoints, a path to readers and writers, a query parameter to
the endpoints that read it, a body to the endpoints that parse it, an access request claim to
the submission endpoint. Targets rotate, so each value meets a different endpoint or caller.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from typing import Any

from tests.fuzz import hostile as h
from tests.fuzz import messages as msg
from tests.fuzz import mutations as m
from tests.fuzz.exchange import DELETE, Long, Raw
from tests.fuzz.mutations import Mutation


@dataclasses.dataclass(frozen=True)
class Target:
    """An endpoint by name, a caller, and which path or id (`variant`) to start from."""

    name: str
    method: str
    caller: str
    variant: int = 0
    with_arguments: bool = True


VENDOR_READ = Target("data.read", "GET", "vendor_a")  # /data/profile
VENDOR_READ_OWN = Target("data.read", "GET", "vendor_a", 2)  # its container
VENDOR_APPEND = Target("data.append", "POST", "vendor_a")  # its own container
VENDOR_PUT = Target("data.put", "PUT", "vendor_a", 2)
POLL = Target("grants.request_status", "GET", "poller_c")
GIVE_BACK = Target("grants.give_back", "POST", "vendor_b")
OWNER_READ = Target("data.read", "GET", "owner_bearer")
OWNER_PUT = Target("data.put", "PUT", "owner_bearer")  # /data/profile
OWNER_PUT_NOTE = Target("data.put", "PUT", "owner_bearer", 7)  # /data/notes/nothing-here
OWNER_POST = Target("data.append", "POST", "owner_bearer", 5)  # /data/notes/
OWNER_PATCH = Target("data.patch", "PATCH", "owner_bearer")
OWNER_PATCH_NOTE = Target("data.patch", "PATCH", "owner_bearer", 7)
OWNER_DELETE = Target("data.delete", "DELETE", "owner_bearer", 7)
SUBMIT = Target("grants.submit_request", "POST", "submitter", with_arguments=False)
OFFER = Target("offers.submit_offer", "POST", "offerer")
OFFER_STATUS = Target("offers.offer_status", "GET", "poller_d")
OWNER_INTENT = Target("intents.create_intent", "POST", "owner_bearer", with_arguments=False)
OWNER_ACCEPT = Target("intents.accept", "POST", "owner_bearer")
OWNER_AUDIT = Target("owner.audit_log", "GET", "owner_bearer", with_arguments=False)
OWNER_REQUESTS = Target("owner_grants.list_requests", "GET", "owner_bearer", with_arguments=False)
OWNER_GRANTS = Target("owner_grants.list_grants", "GET", "owner_bearer", with_arguments=False)
OWNER_TOKENS = Target("owner.create_token", "POST", "owner_bearer", with_arguments=False)
OWNER_TOKENS_BASIC = Target("owner.create_token", "POST", "owner_basic", with_arguments=False)
OWNER_CLAIM = Target("owner.claim", "POST", "anonymous", with_arguments=False)
OWNER_PASSWORD = Target("owner.change_password", "POST", "owner_bearer", with_arguments=False)
OWNER_APPROVE = Target("owner_grants.approve", "POST", "owner_bearer")
OWNER_TERMS = Target("owner_grants.put_terms", "PUT", "owner_bearer", with_arguments=False)
PAGE_ACTIVITY = Target("web.activity", "GET", "owner_page", with_arguments=False)
PAGE_SIGN_IN = Target("web.sign_in", "GET", "owner_page", with_arguments=False)
PAGE_SIGN_IN_POST = Target("web.sign_in", "POST", "anonymous", with_arguments=False)
PAGE_RECORD = Target("web.record", "GET", "owner_page")
PAGE_GRANT = Target("web.grant_page", "GET", "owner_page")
PAGE_HOME = Target("web.home", "GET", "owner_page", with_arguments=False)
ANONYMOUS_READ = Target("data.read", "GET", "anonymous")
MESSAGE = Target("threads.offer_message", "POST", "messenger_d")  # about the world's offer
MESSAGE_OWN = Target("threads.vendor_message", "POST", "messenger_a")  # to A's thread
MESSAGE_START = Target("threads.start_thread", "POST", "messenger_a", with_arguments=False)
THREAD_READ = Target("threads.vendor_thread", "GET", "poller_a")
OFFER_THREAD_READ = Target("threads.offer_thread", "GET", "poller_d")
OWNER_THREAD = Target("owner_threads.get_thread", "GET", "owner_bearer")
OWNER_THREAD_START = Target(
    "owner_threads.start_as_owner", "POST", "owner_bearer", with_arguments=False
)
OWNER_THREAD_REPLY = Target("owner_threads.reply", "POST", "owner_bearer")
OWNER_THREAD_STATE = Target("owner_threads.change_state", "PATCH", "owner_bearer")
STATUS_LIST = Target("grants.status_list", "GET", "anonymous", with_arguments=False)

PAGE_POSTS = [
    Target("web.decide", "POST", "owner_page"),
    Target("web.save_terms", "POST", "owner_page", with_arguments=False),
    Target("web.create_token", "POST", "owner_page", with_arguments=False),
    Target("web.change_password", "POST", "owner_page", with_arguments=False),
    Target("web.save_data", "POST", "owner_page", 0),
    Target("web.save_data", "POST", "owner_page", 1),
    Target("web.revoke", "POST", "owner_page"),
    Target("web.revoke_token", "POST", "owner_page"),
    Target("web.import_archive", "POST", "owner_page", with_arguments=False),
    Target("web.sign_in", "POST", "owner_page", with_arguments=False),
    Target("web.claim", "POST", "owner_page", with_arguments=False),
    Target("web.deny_all", "POST", "owner_page", with_arguments=False),
    Target("web.reply", "POST", "owner_page"),
    Target("web.start_thread", "POST", "owner_page", with_arguments=False),
]
JSON_TARGETS = {
    OWNER_CLAIM: ["setup_code", "password"],
    OWNER_PASSWORD: ["old_password", "new_password"],
    OWNER_TOKENS: ["name"],
    OWNER_APPROVE: ["scopes", "duration_seconds"],
    OWNER_TERMS: ["terms"],
    OWNER_INTENT: ["name", "category", "offers_until", "must_have", "max_price", "radius_km"],
    OWNER_ACCEPT: ["fields", "duration_seconds", "decline_others"],
    OWNER_THREAD_START: ["vendor", "offer", "subject", "text"],
    OWNER_THREAD_REPLY: ["text"],
    OWNER_THREAD_STATE: ["state"],
}
PROOF_TARGETS = [
    VENDOR_READ,
    VENDOR_APPEND,
    POLL,
    GIVE_BACK,
    VENDOR_READ_OWN,
    OFFER_STATUS,
    THREAD_READ,
    OFFER_THREAD_READ,
]
HEADER_TARGETS = [
    VENDOR_READ,
    VENDOR_APPEND,
    OWNER_READ,
    OWNER_PUT_NOTE,
    SUBMIT,
    POLL,
    OWNER_AUDIT,
    PAGE_HOME,
    PAGE_POSTS[2],
    STATUS_LIST,
    OWNER_TOKENS_BASIC,
    OWNER_APPROVE,
]
BODY_TARGETS = [OWNER_PUT, VENDOR_APPEND, SUBMIT, OWNER_TERMS, PAGE_POSTS[1], OWNER_POST]

# Values any JSON member may be given: types, sizes and characters a parser must survive.
JSON_NASTY: list[Any] = [
    None,
    True,
    -1,
    1.5,
    2**63,
    "",
    "\x00",
    "\ud800",
    Long("A" * 5000),
    [],
    {},
    [None],
    Raw("NaN"),
    Raw("1e999"),
    Raw("1" + "0" * 400),
    Raw('"\\ud800x"'),
    Raw('"a\\u0000b"'),
    Raw("[" * 3000 + "]" * 3000),
    Raw("[" * 1000 + "]" * 1000),  # deep enough for Python's JSON parser, short enough for a proof
]
# The few that matter most in a JWS header or claim (a proof is at most 4096 characters).
JWS_NASTY: list[Any] = [
    None,
    -1,
    "\ud800",
    "\x00",
    [],
    Raw("1" + "0" * 400),
    Raw('"\ud800x"'),
    Raw("[" * 1000 + "]" * 1000),
]
FORM_NASTY = ["", "\x00", "abc", "-1", "99999999999999999999", Long("A" * 5000), "é\u202e", "%00"]


def token_ops() -> list[m.TokenOp]:
    ops = [m.TokenOp("segment", i, text) for i in range(3) for text in h.SEGMENT_TEXT]
    ops += [m.TokenOp("pad", i) for i in range(3)]
    ops += [m.TokenOp("insert", 7, c) for c in ["=", ".", " ", "%", "é", "\x00", ",", "\\"]]
    ops += [m.TokenOp("flip", i) for i in (0, 40, 2000)]
    ops += [m.TokenOp("truncate", i) for i in (0, 10, 100)]
    ops += [m.TokenOp("dots", i, t) for i in (0, 1) for t in ("", "x", "e30.e30")]
    ops += [m.TokenOp("swap"), m.TokenOp("std-alphabet"), m.TokenOp("std-alphabet-signature")]
    ops += [m.TokenOp("twice", 0, sep) for sep in (",", " ", ";")]
    ops += [m.TokenOp("wrap", 0, w) for w in (" ", '"')]
    ops += [m.TokenOp("replace", 0, v) for v in h.HEADER_VALUES]
    return ops


def entries() -> Iterator[tuple[str, Target, list[Mutation]]]:
    """(family, target, mutations) for every catalogued value."""
    yield from _rotate("proof claims", PROOF_TARGETS, _proof_claims())
    yield from _rotate(
        "proof headers",
        PROOF_TARGETS,
        [
            m.ProofHeader(name, value)
            for name in ("alg", "typ", "kid", "crit", "jwk")
            for value in [DELETE, *h.FIELD_VALUES[::4], *h.PROOF_HEADER_VALUES, *JWS_NASTY[::2]]
        ]
        + [
            m.ProofJwk(member, value)
            for member in ("kty", "crv", "x", "y", "d")
            for value in [DELETE, *h.JWK_VALUES[::2], *JSON_NASTY[:8:3]]
        ],
    )
    yield from _rotate(
        "proof text",
        PROOF_TARGETS,
        [m.ProofRaw(part, text) for part in ("header", "claims") for text in h.RAW_PARTS]
        + [m.ProofText(op) for op in token_ops()[::2]]
        + [m.ProofSigning(mode) for mode in h.SIGNING_MODES]
        + [m.ProofBy(who) for who in "abc"]
        + [m.SetHeader("DPoP", v) for v in h.DPOP_VALUES],
    )
    yield from _rotate(
        "authorization",
        [VENDOR_READ, OWNER_READ, VENDOR_APPEND, OWNER_TOKENS_BASIC, OWNER_AUDIT, GIVE_BACK],
        [m.AuthScheme(s) for s in h.AUTH_SCHEMES]
        + [m.AuthSeparator(s) for s in h.AUTH_SEPARATORS]
        + [m.OtherToken(t) for t in h.OTHER_TOKENS]
        + [m.AuthToken(op) for op in token_ops()[1::3]],
    )
    for target in (OWNER_TOKENS_BASIC, VENDOR_READ, OWNER_AUDIT):
        yield from _rotate(
            "authorization headers",
            [target],
            [m.SetHeader("Authorization", v) for v in h.AUTHORIZATIONS + h.HEADER_VALUES],
        )
    yield from _rotate(
        "grant fields",
        [VENDOR_READ, VENDOR_APPEND, GIVE_BACK],
        [
            m.GrantEdit(part, name, value, resign)
            for part, names in h.GRANT_FIELDS.items()
            for name in names
            for value, resign in zip(
                [DELETE, *h.FIELD_VALUES[::5], *JWS_NASTY[::3]], itertools.cycle([False, True])
            )
        ],
    )
    credentials = ("Authorization", "DPoP", "Content-Type", "Cookie", "Host", "Accept")
    yield from _rotate(
        "headers",
        HEADER_TARGETS,
        [
            m.SetHeader(name, value)
            for name in h.HEADER_NAMES
            for value in h.HEADER_VALUES[:: 2 if name in credentials else 7]
        ]
        + [m.DuplicateHeader(name, value) for name in credentials for value in h.HEADER_VALUES[::6]]
        + [m.DropHeader(name) for name in h.HEADER_NAMES]
        + [m.OwnerCredentialsOnOtherRequests(w) for w in ("bearer", "cookie", "csrf-only")] * 4
        + [m.Chunked()] * len(HEADER_TARGETS),
    )
    yield from _rotate(
        "paths",
        [
            VENDOR_READ,
            VENDOR_APPEND,
            OWNER_READ,
            OWNER_PUT_NOTE,
            PAGE_RECORD,
            ANONYMOUS_READ,
            MESSAGE_OWN,
            OWNER_THREAD,
        ],
        [m.PathEdit("append", text) for text in h.PATH_SUFFIXES]
        + [m.PathEdit("insert", text, 6) for text in h.PATH_SUFFIXES[::3]]
        + [m.RawTarget(kind, data) for kind in ("append", "replace") for data in h.RAW_TARGETS]
        + [m.PathEdit(kind, "", 1) for kind in ("slash", "double", "case", "escape-all")]
        + [m.PathEdit("escape-slashes"), m.RawTarget("absolute")],
    )
    yield from _rotate(
        "paths replaced",
        [VENDOR_READ, VENDOR_APPEND, OWNER_READ, OWNER_DELETE, GIVE_BACK, PAGE_HOME],
        [m.PathEdit("replace", text) for text in h.PATH_REPLACEMENTS],
    )
    for target in (MESSAGE_OWN, MESSAGE):  # A's and D's messages, each to every thread path
        yield from _rotate(
            "thread paths", [target], [m.PathEdit("replace", text) for text in h.THREAD_PATHS]
        )
    yield from _rotate(
        "thread paths",
        [THREAD_READ, OFFER_THREAD_READ, OWNER_THREAD],
        [m.PathEdit("replace", text) for text in h.THREAD_PATHS],
    )
    odd = h.TEXT_QUERY[6::2]  # NUL, bad escapes, long
    for key, values in (
        ("limit", h.NUMBER_QUERY + odd),
        ("before", h.NUMBER_QUERY + odd),
        ("since", h.TIME_QUERY + h.NUMBER_QUERY[::3] + odd),
        ("until", h.TIME_QUERY + odd),
        ("actor", h.TEXT_QUERY),
        ("action", odd),
        ("outcome", odd),
        ("resource", odd),
        ("grant", odd),
    ):
        yield from _rotate("audit queries", [OWNER_AUDIT], [m.QueryParam(key, v) for v in values])
    for target, key in (
        (OWNER_REQUESTS, "status"),
        (OWNER_GRANTS, "vendor"),
        (PAGE_ACTIVITY, "vendor"),
        (PAGE_ACTIVITY, "outcome"),
        (PAGE_SIGN_IN, "next"),
        (PAGE_SIGN_IN_POST, "next"),
        (VENDOR_READ, "x"),
        (THREAD_READ, "before"),
        (OFFER_THREAD_READ, "before"),
    ):
        yield from _rotate("queries", [target], [m.QueryParam(key, v) for v in h.TEXT_QUERY[::2]])
    yield from _rotate(
        "raw queries",
        [OWNER_AUDIT, VENDOR_READ, PAGE_ACTIVITY, OWNER_GRANTS],
        [m.RawQuery(text) for text in h.RAW_QUERIES],
    )
    yield from _rotate(
        "rdf bodies",
        [OWNER_PUT, OWNER_POST, VENDOR_APPEND, OWNER_PUT_NOTE],
        [
            m.Body(text.encode("utf-8", "surrogatepass"), ct)
            for text in h.TURTLE_GARBAGE
            for ct in ("text/turtle", "application/n-triples")
        ]
        + [m.Body(m._json_bytes(doc), "application/ld+json") for doc in h.JSONLD_GARBAGE],
    )
    yield from _rotate(
        "sparql bodies",
        [OWNER_PATCH, OWNER_PATCH_NOTE],
        [m.Body(text.encode(), "application/sparql-update") for text in h.SPARQL_GARBAGE],
    )
    yield from _rotate(
        "content types",
        BODY_TARGETS,
        [m.SetHeader("Content-Type", ct) for ct in h.CONTENT_TYPES] * 2
        + [m.Body(raw, ct) for raw in h.RAW_BODIES for ct in ("text/turtle", "application/json")]
        + [m.BodyOp(kind, i) for kind in ("oversize", "flip", "truncate") for i in (0, 1)] * 2
        + [m.Chunked(), m.DropHeader("Content-Type")] * 3,
    )
    for target, keys in JSON_TARGETS.items():
        yield from _rotate(
            "json members",
            [target],
            [
                m.JsonField(key, v)
                for key in keys
                for v in JSON_NASTY + (h.JSON_FIELD_VALUES if key in ("terms", "scopes") else [])
            ]
            + [m.JsonBody(v) for v in JSON_NASTY[1::3]],
        )
    yield from _rotate(
        "page forms",
        PAGE_POSTS,
        [m.FormField("", value, index) for index in range(6) for value in FORM_NASTY[:6]]
        + [m.FormField(key, FORM_NASTY[i % 3]) for i, key in enumerate(h.FORM_KEYS)],
    )
    yield from _rotate(
        "access requests",
        [SUBMIT],
        [
            m.RequestClaim(name, value)
            for name, values in h.REQUEST_CLAIM_VALUES.items()
            for value in [*values, DELETE, *JWS_NASTY[::2]]
        ]
        + [
            m.RequestHeader(name, value)
            for name in ("typ", "alg", "jwk", "crit", "kid")
            for value in [DELETE, *h.FIELD_VALUES[::4], *JWS_NASTY[1::3]]
        ]
        + [m.RequestSigning(mode) for mode in h.SIGNING_MODES]
        + [m.RequestText(op) for op in token_ops()[::6]],
    )
    yield from _offers()
    yield from _messages()


def _messages() -> Iterator[tuple[str, Target, list[Mutation]]]:
    """Each hostile message claim, Note member and header, to the three inboxes in turn."""
    times = [m.Offset(s) for s in (-400, -60, 60, 700)] + [
        m.Offset(0, True),
        m.Offset(0, False, True),
    ]
    yield from _rotate(
        "messages",
        [MESSAGE, MESSAGE_OWN, MESSAGE_START],
        [
            msg.MessageClaim(name, value)
            for name, values in msg.MESSAGE_CLAIM_VALUES.items()
            for value in [*values, DELETE, *(times if name in ("iat", "exp", "nbf") else [])]
        ]
        + [
            msg.MessageNote(name, value)
            for name in ("type", "content", "mediaType", "name")
            for value in [DELETE, *JWS_NASTY[::2]]
        ]
        + [
            m.RequestHeader(name, value)
            for name in ("typ", "alg", "jwk", "crit", "kid")
            for value in [DELETE, "pds-offer+jwt", "PDS-MESSAGE+JWT", *JWS_NASTY[1::3]]
        ]
        + [m.RequestSigning(mode) for mode in h.SIGNING_MODES]
        + [m.RequestText(op) for op in token_ops()[::8]]
        + [m.SetHeader("Content-Type", ct) for ct in h.CONTENT_TYPES[::3]]
        + [m.BodyOp("oversize", 0), m.Chunked()],
    )


def _offers() -> Iterator[tuple[str, Target, list[Mutation]]]:
    yield from _rotate(
        "offers",
        [OFFER],
        [
            m.OfferClaim(name, value)
            for name, values in h.OFFER_CLAIM_VALUES.items()
            for value in [*values, DELETE, *JWS_NASTY[::2]]
        ]
        + [m.RequestSigning(mode) for mode in h.SIGNING_MODES]
        + [m.RequestText(op) for op in token_ops()[::8]]
        + [m.SetHeader("Content-Type", ct) for ct in h.CONTENT_TYPES[::3]],
    )


def _proof_claims() -> list[Mutation]:
    specific: dict[str, list[Any]] = {
        "htm": ["get", "GET ", "PUT", "", "POST\x00"],
        "htu": h.HTU_VALUES,
        "iat": [m.Offset(s, f, t) for s in (-3600, -61, 6, 10**9) for f, t in ((0, 0), (1, 1))],
        "jti": ["short", Long("x" * 129), "\ud800" * 8, "\x00" * 8, "é" * 8],
        "ath": ["", "x" * 43],
        "exp": [m.Offset(-1), m.Offset(-1, True)],
        "nbf": [m.Offset(3600)],
    }
    out: list[Mutation] = []
    for name, values in specific.items():
        out += [m.ProofClaim(name, v) for v in [*values, DELETE, *JWS_NASTY]]
    out += [m.ProofClaim(name, v, True) for name in ("nonce", "cnf") for v in JWS_NASTY]
    return out


def _rotate(
    family: str, targets: list[Target], mutations: list[Mutation]
) -> Iterator[tuple[str, Target, list[Mutation]]]:
    for index, mutation in enumerate(mutations):
        yield family, targets[index % len(targets)], [mutation]
