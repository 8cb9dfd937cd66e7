"""Valid requests for every endpoint, in a form the mutations can change, and who may write.

The endpoints come from the app's url_map, so a new route is fuzzed without a change here: its
arguments are filled by name (a request id, a grant id...) or with a plain value, and it is tried
as every kind of caller unless its path prefix says who it is for.

An `Exchange` is a request before it is put on the wire: the grant, the DPoP proof and the signed
access request are kept as specifications and made at the last moment, for the method and path
the request finally has, so a proof stays valid through a path mutation (which is how a
traversal gets as far as the scope check) unless a mutation breaks it on purpose.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import math
import re
import secrets
import time
import unicodedata
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pds import schemas
from pds.consent.inputs import LEEWAY
from pds.consent.messages import MAX_LIFETIME, MAX_MESSAGE_BYTES, MAX_SUBJECT, MAX_TEXT, MESSAGE_TYP
from pds.consent.terms import DEFAULT_TERMS
from tests.conftest import PASSWORD
from tests.fuzz.wire import WireRequest
from tests.fuzz.world import PURPOSE, RECORD_TURTLE, REQUIRED_TERMS, SCHEMA, World, basic
from vendor_client import VendorKey

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
MESSAGE = "Fuzz: is Saturday at ten fine for a test drive?"
# §4.2: the bidirectional formatting characters no name or subject may hold.
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
OWNER_KINDS = ("owner_bearer", "owner_basic", "owner_page")
ALL_KINDS = ("anonymous", "owner_bearer", "owner_page", "vendor_a", "vendor_b")


class Raw(str):
    """JSON text put into a token as it is (NaN, 1e999, huge integers, odd escapes)."""

    def __repr__(self) -> str:
        text = str(self)
        return f"Raw({text!r})" if len(text) <= 40 else f"Raw({text[:20]!r}… {len(text)} chars)"


class Long(str):
    """A long string that prints short (in hypothesis's reports)."""

    def __repr__(self) -> str:
        return f"Long({str(self)[:12]!r}… {len(self)} chars)"


def dumps(value: Any) -> str:
    """JSON with `Raw` pieces spliced in verbatim."""
    raws: dict[str, str] = {}

    def swap(item: Any) -> Any:
        if isinstance(item, Raw):
            marker = f"__raw_{uuid.uuid4().hex}__"
            raws[marker] = str(item)
            return marker
        if isinstance(item, dict):
            return {k: swap(v) for k, v in item.items()}
        if isinstance(item, list):
            return [swap(v) for v in item]
        return item

    text = json.dumps(swap(value), separators=(",", ":"))
    for marker, raw in raws.items():
        text = text.replace(json.dumps(marker), raw)
    return text


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sha256_b64url(text: str) -> str:
    return b64url(hashlib.sha256(text.encode("latin-1", "replace")).digest())


class _Sentinel:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


DELETE = _Sentinel("DELETE")  # a header or claim value that removes the member
FILL = _Sentinel("FILL")  # a claim made when the request is sent (iat, jti, htu...)


@dataclasses.dataclass
class TokenSpec:
    """A JWS made at send time: header and claims with overrides, then signed."""

    key: Any  # the private key that signs it (Ed25519 or P-256)
    header: dict[str, Any]
    claims: dict[str, Any]
    signing: str = "valid"  # valid, other-key, empty, garbage, hmac
    raw_header: str | None = None  # JSON text instead of the header object
    raw_claims: str | None = None

    def encode(self) -> str:
        header = {k: v for k, v in self.header.items() if v is not DELETE}
        claims = {k: v for k, v in self.claims.items() if v is not DELETE}
        head = self.raw_header if self.raw_header is not None else dumps(header)
        body = self.raw_claims if self.raw_claims is not None else dumps(claims)
        signing_input = (
            b64url(head.encode("utf-8", "surrogatepass"))
            + "."
            + b64url(body.encode("utf-8", "surrogatepass"))
        )
        return signing_input + "." + b64url(self._sign(signing_input.encode()))

    def _sign(self, data: bytes) -> bytes:
        if self.signing == "empty":
            return b""
        if self.signing == "garbage":
            return secrets.token_bytes(64)
        if self.signing == "hmac":  # the public key used as an HMAC secret (alg confusion)
            jwk = self.header.get("jwk", {})
            secret = json.dumps(jwk if jwk is not DELETE else {}).encode()
            return hmac.new(secret, data, hashlib.sha256).digest()
        key = self.key if self.signing == "valid" else ed25519.Ed25519PrivateKey.generate()
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@dataclasses.dataclass(frozen=True)
class Endpoint:
    rule: str
    method: str
    name: str  # the Flask endpoint
    arguments: tuple[str, ...]
    any_items: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __repr__(self) -> str:
        return f"{self.method} {self.rule}"


def endpoints(app) -> list[Endpoint]:
    """Every (rule, method) the app serves, OPTIONS aside (werkzeug answers those itself)."""
    out = []
    for rule in app.url_map.iter_rules():
        any_items = tuple(
            (name, tuple(sorted(conv.items)))
            for name, conv in rule._converters.items()
            if hasattr(conv, "items") and isinstance(conv.items, set | frozenset)
        )
        for method in sorted((rule.methods or set()) - {"OPTIONS"}):
            out.append(
                Endpoint(rule.rule, method, rule.endpoint, tuple(sorted(rule.arguments)), any_items)
            )
    return sorted(out, key=lambda e: (e.rule, e.method))


def callers(endpoint: Endpoint) -> tuple[str, ...]:
    """Who a valid request to this endpoint comes from (every kind, for an unknown prefix)."""
    rule, method = endpoint.rule, endpoint.method
    if rule.startswith("/data"):
        return ("owner_bearer", "vendor_a", "vendor_b", "anonymous")
    if rule == "/owner/tokens" and method == "POST":
        return ("owner_bearer", "owner_basic", "anonymous")
    if rule.startswith("/owner"):
        return ("owner_bearer", "anonymous")
    if rule.startswith("/app") or rule in ("/", "/favicon.ico"):
        return ("owner_page", "anonymous")
    if rule == "/access-requests":
        return ("submitter",)
    if rule.startswith("/access-requests/"):
        return ("poller_a", "poller_c")
    if rule.startswith("/replies/") and rule.endswith("/thread"):  # the offer's thread
        return ("messenger_d",) if method == "POST" else ("poller_d", "poller_a")
    if rule.startswith("/threads/"):  # a vendor's threads at the pod
        return ("messenger_a", "anonymous") if method == "POST" else ("poller_a", "poller_d")
    if rule.startswith("/replies/") and method == "POST":
        return ("offerer",)
    if rule.startswith("/replies/"):
        return ("poller_d", "poller_a")
    if rule.startswith("/grants/"):
        return ("vendor_a", "vendor_b")
    if rule.startswith(("/.well-known/", "/status/", "/ns/", "/static/")):
        return ("anonymous", "vendor_a")
    return ALL_KINDS


@dataclasses.dataclass
class Exchange:
    """A request being built: valid to begin with, then mutated."""

    endpoint: Endpoint
    caller: str
    method: str
    path: str  # as sent (percent-escapes kept); non-ASCII goes out as UTF-8
    query: str = ""
    headers: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    body: bytes = b""
    json_body: Any = DELETE  # serialised at send time unless DELETE
    form: list[tuple[str, str]] | None = None
    multipart: bool = False
    auth_scheme: str | None = None
    auth_separator: str = " "
    auth_token: str | None = None
    auth_token_ops: list[Callable[[str], str]] = dataclasses.field(default_factory=list)
    proof: TokenSpec | None = None
    proof_ops: list[Callable[[str], str]] = dataclasses.field(default_factory=list)
    proof_signer: str = ""  # which vendor's key signs the proof
    signed_request: TokenSpec | None = None
    body_ops: list[Callable[[bytes], bytes]] = dataclasses.field(default_factory=list)
    raw_ops: list[Callable[[WireRequest], None]] = dataclasses.field(default_factory=list)
    breaks: set[str] = dataclasses.field(default_factory=set)
    chunked: bool = False
    notes: dict[str, Any] = dataclasses.field(default_factory=dict)  # what mutations remember

    def set_header(self, name: str, value: str | None) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        if value is not None:
            self.headers.append((name, value))

    def get_header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def base_exchange(world: World, endpoint: Endpoint, caller: str, variant: int) -> Exchange:
    """A valid request to `endpoint` by `caller`; `variant` picks among the paths and ids."""
    ex = Exchange(endpoint, caller, endpoint.method, _fill(world, endpoint, caller, variant))
    credentials(world, ex)
    _body(world, ex, variant)
    return ex


def _subpaths(world: World, endpoint: Endpoint, caller: str) -> list[str]:
    a, b = world.vendor_a, world.vendor_b
    if endpoint.method == "POST":
        own = (a if caller != "vendor_b" else b).container
        return [own, own + "orders/", b.container, "/profile", a.container, "/notes/"]
    return [
        "/profile",
        "/preferences",
        a.container,
        a.record,
        b.container,
        b.record,
        "/vendors/",
        "/notes/nothing-here",
    ]


def _fill(world: World, endpoint: Endpoint, caller: str, variant: int) -> str:
    a, b, c = world.vendor_a, world.vendor_b, world.vendor_c
    values: dict[str, str] = {}
    for name in endpoint.arguments:
        items = dict(endpoint.any_items).get(name)
        if items:
            values[name] = items[variant % len(items)]
        elif name == "_subpath":
            options = _subpaths(world, endpoint, caller)
            values[name] = options[variant % len(options)].lstrip("/")
        elif name == "request_id":
            values[name] = a.request_id if caller in ("poller_a",) else c.request_id
        elif name == "grant_id":
            values[name] = b.grant_id if caller == "vendor_b" else a.grant_id
        elif name == "token_id":
            values[name] = world.spare_token_id
        elif name == "reply_token":
            values[name] = world.reply_token or "x"
        elif name == "offer_id":
            values[name] = world.offer_id or "x"
        elif name == "thread_id":
            values[name] = _thread(world, caller, variant) or "x"
        elif name == "intent_id":
            values[name] = world.intent_name or "x"
        elif name == "action":
            values[name] = ("publish", "pause", "resume", "close")[variant % 4]
        elif name == "vendor_id":
            values[name] = (a, b)[variant % 2].id
        elif name == "name" and "vendor_id" in endpoint.arguments:
            values[name] = (a, b)[variant % 2].record.rsplit("/", 1)[1]
        elif name == "filename":
            files = world.static_files or ["pod.css"]
            values[name] = files[variant % len(files)]
        else:
            values[name] = ("x", c.request_id, a.grant_id, a.id)[variant % 4]
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda match: values[match.group(1)], endpoint.rule)


def _thread(world: World, caller: str, variant: int) -> str:
    """A's own thread for A, the offer's thread for D, either for the owner."""
    if caller.endswith("_a"):
        return world.vendor_thread_id
    if caller.endswith("_d"):
        return world.offer_thread_id
    return (world.offer_thread_id, world.vendor_thread_id)[variant % 2]


def _vendor(world: World, caller: str):
    return {
        "vendor_a": world.vendor_a,
        "vendor_b": world.vendor_b,
        "poller_a": world.vendor_a,
        "poller_c": world.vendor_c,
        "poller_d": world.vendor_d,
    }.get(caller)


def proof_spec(vendor, *, with_ath: bool) -> TokenSpec:
    key = vendor.private_key
    alg = "EdDSA" if isinstance(key, ed25519.Ed25519PrivateKey) else "ES256"
    claims: dict[str, Any] = {"htm": FILL, "htu": FILL, "iat": FILL, "jti": FILL}
    if with_ath:
        claims["ath"] = FILL
    return TokenSpec(key, {"typ": "dpop+jwt", "alg": alg, "jwk": vendor.key.public_jwk}, claims)


def credentials(world: World, ex: Exchange) -> None:
    """Give `ex` what its caller proves itself with: a token, the page cookie, a grant and
    proof, or a signed access request or offer (made at send time, see `materialize`)."""
    caller = ex.caller
    if caller == "owner_bearer":
        ex.auth_scheme, ex.auth_token = "Bearer", world.owner_token
    elif caller == "owner_basic":
        ex.auth_scheme, ex.auth_token = "Basic", basic(PASSWORD)
    elif caller == "owner_page":
        ex.set_header("Cookie", world.cookie_header())
    elif caller in ("vendor_a", "vendor_b"):
        vendor = _vendor(world, caller)
        ex.auth_scheme, ex.auth_token = "DPoP", vendor.grant_token
        ex.proof, ex.proof_signer = proof_spec(vendor, with_ath=True), caller
    elif caller in ("poller_a", "poller_c", "poller_d"):
        ex.proof, ex.proof_signer = proof_spec(_vendor(world, caller), with_ath=False), caller
    elif caller == "submitter":
        key = VendorKey.generate()
        claims = {
            "aud": world.url,
            "iat": FILL,
            "exp": FILL,
            "jti": FILL,
            "vendor": {"name": "Fuzz submitter", "homepage": "https://shop.example"},
            "scopes": [
                {"resource": "/profile", "modes": ["read"], "fields": [SCHEMA + "email"]},
                {"resource": f"/vendors/{key.thumbprint}/", "modes": ["read", "append"]},
            ],
            "purpose": {"iri": PURPOSE, "description": "to fuzz the pod"},
            "duration": 86400,
            "terms": REQUIRED_TERMS,
        }
        header = {"typ": "pds-access-request+jwt", "alg": "EdDSA", "jwk": key.public_jwk}
        ex.signed_request = TokenSpec(key._private, header, claims)
        ex.set_header("Content-Type", "application/jwt")
    elif caller == "offerer":
        key = VendorKey.generate()  # at most 3 offers an hour from one key
        claims = {**world.signed_offer_claims(), "iat": FILL, "exp": FILL, "jti": FILL}
        header = {"typ": "pds-offer+jwt", "alg": "EdDSA", "jwk": key.public_jwk}
        ex.signed_request = TokenSpec(key._private, header, claims)
        ex.set_header("Content-Type", "application/jwt")
    elif caller in ("messenger_a", "messenger_d"):
        # A message (§15.2) by the thread's vendor, for the URL it is posted to (made at send
        # time, as a proof's htu is): A starts or writes to its thread, D about its offer.
        vendor = world.vendor_a if caller == "messenger_a" else world.vendor_d
        note: dict[str, Any] = {"type": "Note", "mediaType": "text/plain", "content": MESSAGE}
        if ex.endpoint.rule == "/threads/":
            note["name"] = "Fuzz subject"
        claims = {"aud": FILL, "iat": FILL, "exp": FILL, "jti": FILL, "object": note}
        header = {"typ": MESSAGE_TYP, "alg": "EdDSA", "jwk": vendor.key.public_jwk}
        ex.signed_request = TokenSpec(vendor.private_key, header, claims)
        ex.notes["message by"] = vendor.id
        ex.set_header("Content-Type", "application/jwt")


def _body(world: World, ex: Exchange, variant: int) -> None:
    name = ex.endpoint.name
    path = ex.path
    if ex.method in ("GET", "HEAD"):
        if path.startswith("/data"):
            ex.set_header(
                "Accept",
                ("text/turtle", "application/ld+json", "application/n-triples")[variant % 3],
            )
        return
    if name == "data.put":
        sample = schemas.sample_documents().get(path[len("/data") :])
        ex.body = (sample or RECORD_TURTLE).encode()
        ex.set_header("Content-Type", "text/turtle")
    elif name == "data.append":
        ex.body = RECORD_TURTLE.encode()
        ex.set_header("Content-Type", "text/turtle")
        ex.set_header("Slug", "fuzz record")
    elif name == "data.patch":
        ex.body = b'INSERT DATA { <#me> <https://schema.org/telephone> "+44 20 7946 0999" . }'
        ex.set_header("Content-Type", "application/sparql-update")
    elif name == "owner.claim":
        ex.json_body = {"setup_code": "000000-000000-000000", "password": "a new long password"}
    elif name == "owner.change_password":
        ex.json_body = {"old_password": PASSWORD, "new_password": PASSWORD}
    elif name == "owner.create_token":
        ex.json_body = {"name": "fuzz token"}
    elif name == "owner_grants.approve":
        if variant % 2:
            ex.json_body = {}
    elif name == "intents.create_intent":
        ex.json_body = {
            "name": "A quiet dishwasher",
            "category": "https://w3id.org/vrm-pod/categories/gpt-916",
            "offers_until": "2027-01-31",
            "must_have": ["energy class A"],
            "max_price": "600",
            "currency": "GBP",
        }
    elif name == "intents.accept":
        ex.json_body = {"fields": [SCHEMA + "email"], "duration_seconds": 86400}
    elif name == "owner_threads.start_as_owner":
        ex.json_body = (
            {"vendor": world.vendor_a.id, "subject": "Your delivery", "text": "Next door, please."}
            if variant % 2
            else {"offer": world.offer_id, "text": "Is it still available?"}
        )
    elif name == "owner_threads.reply":
        ex.json_body = {"text": "Saturday at ten suits me."}
    elif name == "owner_threads.change_state":
        ex.json_body = {"state": ("open", "muted", "closed")[variant % 3]}
    elif name == "owner_grants.put_terms":
        ex.json_body = {"terms": DEFAULT_TERMS}
    elif ex.path.startswith("/app") and ex.method == "POST":
        found = world.form_for(name)
        fields = list(found[1]) if found else [("csrf_token", world.csrf)]
        if name == "web.sign_in":
            fields.append(("password", PASSWORD))
        if name == "web.claim":
            fields += [("setup_code", "000-000-000"), ("password", "a long new password")] * 1
        if name == "web.change_password":
            fields += [
                ("old_password", PASSWORD),
                ("new_password", PASSWORD),
                ("new_password_again", PASSWORD),
            ]
        if name == "web.create_token":
            fields = [(k, v) for k, v in fields if k != "name"] + [("name", "fuzz page token")]
        if name in ("web.reply", "web.start_thread"):  # what the owner types
            typed = {"text": "Thanks, noted."}
            if name == "web.start_thread":
                typed["subject"] = "A question"
                if not any(k == "vendor" for k, _ in fields):
                    typed["vendor"] = world.vendor_a.id
            fields = [(k, v) for k, v in fields if k not in typed] + list(typed.items())
        ex.form = [(k, v) for k, v in fields if v != "\0file"]
        ex.multipart = bool(found and found[2])
        if ex.multipart:
            ex.form.append(("archive", "\0file"))
    if ex.json_body is not DELETE:
        ex.set_header("Content-Type", "application/json")


# -- putting it on the wire -----------------------------------------------------------------------


@dataclasses.dataclass
class Sent:
    """What went out, and what that request was entitled to change."""

    wire: WireRequest
    owner: bool  # valid owner credentials (token, password or page session with its CSRF)
    vendor: Any  # the vendor whose live grant and own proof came with it, if any
    may_submit: bool  # a signed access request that may be accepted
    message_by: str | None = None  # the vendor id of a valid signed message it carries
    owner_reads: bool = False  # the owner's token or page cookie (a read marks threads read)


def materialize(world: World, ex: Exchange) -> Sent:
    now = int(time.time())
    target = urllib.parse.quote(ex.path, safe="/%:@!$&'()*+,;=~[]")
    if ex.proof is not None:
        for name, value in (
            ("htm", ex.method),
            ("htu", world.url + target),
            ("iat", now),
            ("jti", secrets.token_urlsafe(16)),
            ("ath", sha256_b64url(ex.auth_token or "")),
        ):
            if ex.proof.claims.get(name) is FILL:
                ex.proof.claims[name] = value
        made = proof = ex.proof.encode()
        for op in ex.proof_ops:
            proof = op(proof)
        if proof.strip() != made:  # text edits spoil it, unless they changed nothing
            ex.breaks.add("proof")
        ex.set_header("DPoP", proof)
    if ex.auth_token is not None and ex.auth_scheme is not None:
        token = ex.auth_token
        for op in ex.auth_token_ops:
            token = op(token)
        if token.strip() != ex.auth_token:  # white space around it is stripped
            ex.breaks |= (
                {"grant", "owner"} if ex.caller in ("owner_bearer", "owner_basic") else {"grant"}
            )
        ex.set_header("Authorization", f"{ex.auth_scheme}{ex.auth_separator}{token}")
    body = ex.body
    if ex.signed_request is not None:
        spec = ex.signed_request
        for name, value in (
            ("aud", world.url + target),  # a message's: the URL it is posted to (§15.2)
            ("iat", now),
            ("exp", now + 300),
            ("jti", secrets.token_urlsafe(16)),
        ):
            if spec.claims.get(name) is FILL:
                spec.claims[name] = value
        if isinstance(spec.claims.get("aud"), list):  # an array holding the right URL
            spec.claims["aud"] = [
                world.url + target if v is FILL else v for v in spec.claims["aud"]
            ]
        token = spec.encode()
        body = token.encode("utf-8", "surrogatepass")
        if "message by" in ex.notes and _refused_message(ex, token, world.url + target):
            ex.breaks.add("signed_request")
    elif ex.json_body is not DELETE:
        body = dumps(ex.json_body).encode("utf-8", "surrogatepass")
    elif ex.form is not None:
        body = _form_body(world, ex)
    made = body
    for op in ex.body_ops:
        body = op(body)
    if ex.signed_request is not None and body.strip() != made:
        ex.breaks.add("signed_request")  # the pod strips white space around it, nothing else
    if ex.query:
        target += "?" + ex.query
    wire = WireRequest(
        ex.method,
        target.encode("latin-1"),
        [(k, v.encode("latin-1", "replace")) for k, v in ex.headers],
        body,
        ex.chunked,
    )
    for op in ex.raw_ops:
        op(wire)
    owner = not broken(ex, "owner") and _owner_entitled(world, wire)
    may_submit = _may_submit(ex)
    return Sent(
        wire,
        owner,
        _vendor_entitled(world, ex, wire),
        may_submit,
        ex.notes.get("message by") if may_submit else None,
        _owner_reading(world, wire),
    )


def _form_body(world: World, ex: Exchange) -> bytes:
    fields = ex.form or []
    if not ex.multipart:
        ex.set_header(
            "Content-Type", ex.get_header("Content-Type") or "application/x-www-form-urlencoded"
        )
        return urllib.parse.urlencode(fields).encode()
    boundary = "fuzz" + secrets.token_hex(8)
    if ex.get_header("Content-Type") is None:
        ex.set_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    parts = []
    for key, value in fields:
        if value == "\0file":
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; '
                f'filename="pod.tar.gz"\r\nContent-Type: application/gzip\r\n\r\n'.encode()
                + world.archive
                + b"\r\n"
            )
        else:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'.encode()
                + value.encode()
                + b"\r\n"
            )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def _authorization(wire: WireRequest) -> tuple[str, str]:
    value = (wire.header("Authorization") or b"").decode("latin-1")
    scheme, _, token = value.partition(" ")
    return scheme.lower(), token.strip()


def _owner_entitled(world: World, wire: WireRequest) -> bool:
    scheme, token = _authorization(wire)
    if scheme == "bearer" and token == world.owner_token:
        return True
    if scheme == "basic" and token == basic(PASSWORD):
        return True
    cookie = wire.header("Cookie") or b""
    return world.session_cookie.encode() in cookie and world.csrf.encode() in wire.body


def _owner_reading(world: World, wire: WireRequest) -> bool:
    """The owner's token or page session, on a request that may only read."""
    scheme, token = _authorization(wire)
    if (scheme, token) in (("bearer", world.owner_token), ("basic", basic(PASSWORD))):
        return True
    return world.session_cookie.encode() in (wire.header("Cookie") or b"")


def _refused_message(ex: Exchange, token: str, url: str) -> bool:
    """Whether §15.2 certainly refuses this signed message, posted to `url`: read from the
    token as the pod reads it. Times within a second or two of a limit count as good."""
    if len(token) > MAX_MESSAGE_BYTES:
        return True
    try:
        head, body, _ = token.split(".")
        header = json.loads(base64.urlsafe_b64decode(head + "==="))
        claims = json.loads(base64.urlsafe_b64decode(body + "==="))
    except (ValueError, RecursionError):
        return True
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return True
    if header.get("typ") != MESSAGE_TYP or "crit" in header:
        return True
    if not isinstance(header.get("kid", ""), str) or header.get("alg") not in ("EdDSA", "Ed25519"):
        return True
    key = ex.signed_request.key if ex.signed_request else None
    if key is None or header.get("jwk") != _public_jwk(key):
        return True
    if any(name not in claims for name in ("aud", "iat", "exp", "jti", "object")):
        return True
    if claims["aud"] != url:
        return True
    iat, exp, now = claims["iat"], claims["exp"], time.time()
    nbf = claims.get("nbf", iat)
    if not (_is_time(iat) and _is_time(exp) and _is_time(nbf)):
        return True
    if exp < now - LEEWAY - 2 or iat > now + LEEWAY + 2 or nbf > now + LEEWAY + 2:
        return True
    if not iat <= exp <= iat + MAX_LIFETIME:
        return True
    jti = claims["jti"]
    if not _is_text(jti) or not 8 <= len(jti) <= 128:
        return True
    # A `vendor` claim is not judged here: what a thread shows of its vendor is checked once
    # stored (`checks.stored_nonsense`) and read back (`checks.probe`).
    starts = urllib.parse.unquote(urllib.parse.urlsplit(url).path) == "/threads/"
    return _refused_note(claims["object"], starts)


def _refused_note(note: Any, starts: bool) -> bool:
    """§15.2's Note: type, plain text of 1 to 4000 characters, and to start a thread, a
    one-line subject (no control or bidirectional formatting characters)."""
    if not isinstance(note, dict) or note.get("type") != "Note":
        return True
    if note.get("mediaType", "text/plain") != "text/plain":
        return True
    content, subject = note.get("content"), note.get("name")
    if not isinstance(content, str) or not _is_text(content):
        return True
    text = content.strip()
    if not text or len(text) > MAX_TEXT or _controls(text, allowed="\n\t\r"):
        return True
    if not starts:
        return False  # the subject (`name`) of any other message is ignored
    if not isinstance(subject, str) or not _is_text(subject):
        return True  # a new thread needs its subject
    subject = subject.strip()
    return not 0 < len(subject) <= MAX_SUBJECT or _controls(subject) or bool(BIDI & set(subject))


def _is_time(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return -(2**62) < value < 2**62 and math.isfinite(value)


def _is_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _controls(text: str, allowed: str = "") -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in text)


def _public_jwk(key: Any) -> dict[str, str]:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}


def _vendor_entitled(world: World, ex: Exchange, wire: WireRequest):
    """The vendor whose own live grant and own unbroken proof the request carries."""
    if broken(ex, "proof") or ex.proof_signer not in ("vendor_a", "vendor_b"):
        return None
    scheme, token = _authorization(wire)
    vendor = _vendor(world, ex.proof_signer)
    if scheme == "dpop" and token == vendor.grant_token and not broken(ex, "grant"):
        return vendor
    return None


def _may_submit(ex: Exchange) -> bool:
    return ex.signed_request is not None and not broken(ex, "signed_request")


def broken(ex: Exchange, what: str) -> bool:
    """Whether a mutation spoiled `what` (a member edit marks it `what@Kind.member`)."""
    return what in ex.breaks or any(b.startswith(what + "@") for b in ex.breaks)


# -- what a request may change --------------------------------------------------------------------


def unentitled_changes(before, after, sent: Sent, path_decoded: str) -> list[str]:
    """Changes to stored data the request had no right to make, described for a failure."""
    wrong: list[str] = []
    safe = sent.wire.method in SAFE_METHODS
    if sent.owner and not safe:
        return wrong
    for table in before:
        if before.raw[table] == after.raw[table] or table in THREAD_TABLES:
            continue
        old, new = before[table], after[table]
        for key in sorted(set(old) | set(new), key=repr):
            if old.get(key) == new.get(key):
                continue
            if not safe and _allowed(table, old.get(key), new.get(key), sent, path_decoded):
                continue
            wrong.append(_describe(table, key, old.get(key), new.get(key)))
    for table in ("access_requests", "offers"):
        if table in before.raw and before.raw[table] != after.raw[table]:
            added = [k for k in after[table] if k not in before[table]]
            if len(added) > 1:
                wrong.append(f"{table}: {len(added)} rows stored for one submission")
    if any(t in before.raw and before.raw[t] != after.raw[t] for t in THREAD_TABLES):
        wrong += _thread_changes(before, after, sent, path_decoded)
    return wrong


THREAD_TABLES = ("threads", "thread_messages")


def _thread_changes(before, after, sent: Sent, path: str) -> list[str]:
    """Conversations (§15): a vendor's valid signed message adds itself to that vendor's
    thread (made by it, if it starts one or is the first about its offer), and moves the
    thread's `updated_at`; the owner reading a thread marks it read. Nothing else."""
    allowed: dict[str, set] = {"threads": set(), "thread_messages": set()}
    messages = after["thread_messages"]
    posted = [k for k in messages if k not in before["thread_messages"]]
    if sent.wire.method not in SAFE_METHODS and sent.message_by and len(posted) == 1:
        message = messages[posted[0]]
        key = (message["pod_id"], message["thread_id"])
        if message["author"] == sent.message_by and _may_post(
            before, after, sent.message_by, key, path
        ):
            allowed["thread_messages"].add(posted[0])
            allowed["threads"].add(key)
    read = re.fullmatch(r"/(?:owner/threads|app/messages)/([^/]+)", path)
    wrong = []
    for table in THREAD_TABLES:
        old, new = before[table], after[table]
        for key in sorted(set(old) | set(new), key=repr):
            was, now = old.get(key), new.get(key)
            if was == now or (
                key in allowed[table] and (was is None or _only(was, now, "updated_at"))
            ):
                continue
            if (
                table == "threads"
                and sent.wire.method in SAFE_METHODS
                and sent.owner_reads
                and read
                and was is not None
                and now is not None
                and was["id"] == read.group(1)
                and _only(was, now, "customer_read_at")
            ):
                continue  # the owner opened the thread: it is read
            wrong.append(_describe(table, key, was, now))
    return wrong


def _may_post(before, after, vendor_id: str, key, path: str) -> bool:
    """Whether `vendor_id` may add a message to thread `key` by posting to `path`."""
    was, thread = before["threads"].get(key), after["threads"].get(key)
    if thread is None or thread["vendor_id"] != vendor_id:
        return False
    if was is not None and was["state"] == "closed":
        return False
    if path == "/threads/":  # a vendor holding a live grant starts a thread
        live = any(
            grant["vendor_id"] == vendor_id
            and grant["revoked_at"] is None
            and dt.datetime.fromisoformat(grant["expires_at"]) > dt.datetime.now(dt.UTC)
            for grant in after["grants"].values()
        )
        return live and was is None and thread["started_by"] == "vendor" and not thread["offer_id"]
    if was is None and thread["started_by"] != "offer":
        return False
    about = re.fullmatch(r"/replies/[^/]+/offers/([^/]+)/thread", path)
    offer = (
        after["offers"].get((thread["pod_id"], thread["offer_id"]))
        if "offers" in after.raw
        else None
    )
    if about:
        return thread["offer_id"] == about.group(1) and offer is not None
    if path == f"/threads/{thread['id']}" and was is not None:
        # ...at the pod's own address: a thread about an offer only once it is accepted
        return thread["offer_id"] is None or (offer is not None and offer["status"] == "accepted")
    return False


def _only(old: dict, new: dict, column: str) -> bool:
    return {k for k in old if old[k] != new.get(k)} <= {column}


def _allowed(table: str, old: dict | None, new: dict | None, sent: Sent, path: str) -> bool:
    vendor = sent.vendor
    if table == "resources" and old is None and new is not None and vendor is not None:
        # A vendor appends new documents to its own container, and does nothing else.
        return (
            sent.wire.method == "POST"
            and path.startswith("/data" + vendor.container)
            and new["path"].startswith(vendor.container)
        )
    if table == "grants" and old is not None and new is not None and vendor is not None:
        # ...or gives back its own grant.
        changed = {k for k in old if old[k] != new[k]}
        return (
            old["id"] == vendor.grant_id
            and path == f"/grants/{vendor.grant_id}/return"
            and changed <= {"revoked_at", "revoked_by"}
            and new["revoked_by"] == "vendor"
        )
    # ...and anyone may send one signed access request, or one signed offer to an open intent.
    if table == "access_requests" and old is None and new is not None and sent.may_submit:
        return new["status"] == "pending" and path == "/access-requests"
    if table == "offers" and old is None and new is not None and sent.may_submit:
        return new["status"] == "received" and path.startswith("/replies/")
    return False


def _describe(table: str, key, old, new) -> str:
    if old is None:
        return f"{table}: added {key!r}: {_short(new)}"
    if new is None:
        return f"{table}: removed {key!r}: {_short(old)}"
    changed = {k: (old[k], new[k]) for k in old if old[k] != new.get(k)}
    return f"{table}: changed {key!r}: {_short(changed)}"


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 600 else text[:600] + "…"
