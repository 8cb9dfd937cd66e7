"""Mutations of a valid request, as hypothesis strategies.

Each mutation is a small frozen dataclass, so a failing example prints as what was done
(`ProofClaim(name='iat', value='123')`). `breaks` names the credentials a mutation certainly
spoils: a request whose credentials are spoilt is entitled to change nothing.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import secrets
import time
import urllib.parse
from typing import Any, ClassVar

from hypothesis import strategies as st

from tests.fuzz.exchange import (
    DELETE,
    Exchange,
    Long,
    Raw,
    TokenSpec,
    b64url,
    credentials,
    dumps,
    proof_spec,
)
from tests.fuzz.hostile import (
    AUTH_SCHEMES,
    AUTH_SEPARATORS,
    AUTHORIZATIONS,
    CONTENT_TYPES,
    DPOP_VALUES,
    FIELD_VALUES,
    FORM_KEYS,
    GRANT_FIELDS,
    HEADER_NAMES,
    HEADER_VALUES,
    HTU_VALUES,
    JSON_FIELD_VALUES,
    JSON_KEYS,
    JSONLD_GARBAGE,
    JWK_MEMBERS,
    JWK_VALUES,
    METHODS,
    NASTY_TEXT,
    OFFER_CLAIM_VALUES,
    OTHER_TOKENS,
    PATH_REPLACEMENTS,
    PATH_SUFFIXES,
    PROOF_HEADER_NAMES,
    PROOF_HEADER_VALUES,
    QUERY_KEYS,
    QUERY_VALUES,
    RAW_BODIES,
    RAW_JSON,
    RAW_PARTS,
    RAW_QUERIES,
    RAW_TARGETS,
    REQUEST_CLAIM_VALUES,
    SEGMENT_TEXT,
    SIGNING_MODES,
    SPARQL_GARBAGE,
    THREAD_PATHS,
    TURTLE_GARBAGE,
)
from tests.fuzz.wire import WireRequest
from tests.fuzz.world import World

# -- values ---------------------------------------------------------------------------------------

text_values = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=24))

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**100, -(10**30)]),
    st.floats(),
    text_values,
    st.sampled_from(RAW_JSON).map(Raw),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(text_values, inner, max_size=4)
    ),
    max_leaves=8,
)

header_text = st.one_of(
    st.sampled_from(HEADER_VALUES),
    st.text(alphabet=st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=40),
    st.text(max_size=12).map(lambda t: t.encode("utf-8", "surrogatepass").decode("latin-1")),
)


# -- the base class and helpers -------------------------------------------------------------------


class Mutation:
    breaks: ClassVar[frozenset[str]] = frozenset()
    # An edit of one named member that a later edit of the same member replaces (`exp: null`,
    # then no `exp`): what it spoils is judged on the member's last value, not on every value.
    last_edit_wins: ClassVar[bool] = False

    def apply(self, ex: Exchange, world: World) -> None:
        raise NotImplementedError

    def __call__(self, ex: Exchange, world: World) -> None:
        self.apply(ex, world)
        spoiled = self.spoils(ex)
        if not self.last_edit_wins:
            ex.breaks |= spoiled
            return
        member = f"@{type(self).__name__}.{getattr(self, 'name', '')}"
        ex.breaks -= {b for b in ex.breaks if b.endswith(member)}
        ex.breaks |= {what + member for what in spoiled}

    def spoils(self, ex: Exchange) -> set[str]:
        return set(self.breaks)


def _ensure_proof(ex: Exchange, world: World) -> TokenSpec:
    """The request's proof spec; a request without one gets vendor A's (with its grant)."""
    if ex.proof is None:
        vendor = world.vendor_a
        ex.breaks.discard("proof")  # a new, valid proof replaces whatever was set by hand
        ex.proof = proof_spec(vendor, with_ath=True)
        ex.proof_signer = "vendor_a" if ex.auth_token == vendor.grant_token else "stranger"
    return ex.proof


# -- token strings (grants, proofs, owner tokens, signed requests) --------------------------------


@dataclasses.dataclass(frozen=True)
class TokenOp:
    """A change to a token's text; it certainly spoils a JWS."""

    kind: str
    index: int = 0
    text: str = ""

    def __call__(self, token: str) -> str:
        parts = token.split(".")
        i = self.index % max(len(parts), 1)
        if self.kind == "segment":
            parts[i] = self.text
            return ".".join(parts)
        if self.kind == "pad":
            parts[i] += "=" * (1 + self.index % 3)
            return ".".join(parts)
        if self.kind == "insert":
            at = self.index % (len(token) + 1)
            return token[:at] + self.text + token[at:]
        if self.kind == "flip":
            at = self.index % max(len(token), 1)
            char = token[at : at + 1]
            swap = "A" if char != "A" else "B"
            return token[:at] + swap + token[at + 1 :]
        if self.kind == "truncate":
            return token[: self.index % max(len(token), 1)]
        if self.kind == "dots":
            return (token + "." + self.text) if self.index % 2 else ".".join(parts[:-1])
        if self.kind == "swap":
            if len(parts) >= 2:
                parts[0], parts[1] = parts[1], parts[0]
            return ".".join(parts)
        if self.kind == "std-alphabet":
            return token.replace("-", "+").replace("_", "/")
        if self.kind == "std-alphabet-signature":  # the signing input stays as it was signed
            parts[-1] = parts[-1].replace("-", "+").replace("_", "/")
            return ".".join(parts)
        if self.kind == "twice":
            return token + self.text + token
        if self.kind == "wrap":
            return self.text + token + self.text
        if self.kind == "replace":
            return self.text
        raise AssertionError(self.kind)


token_ops = st.one_of(
    st.builds(TokenOp, st.just("segment"), st.integers(0, 3), st.sampled_from(SEGMENT_TEXT)),
    st.builds(TokenOp, st.just("pad"), st.integers(0, 8)),
    st.builds(
        TokenOp,
        st.just("insert"),
        st.integers(0, 2000),
        st.sampled_from(["=", ".", " ", "\t", "%", "é", "\x00", ",", "+", "*", "\\"]),
    ),
    st.builds(TokenOp, st.just("flip"), st.integers(0, 2000)),
    st.builds(TokenOp, st.just("truncate"), st.integers(0, 2000)),
    st.builds(TokenOp, st.just("dots"), st.integers(0, 3), st.sampled_from(["", "x", "e30.e30"])),
    st.builds(TokenOp, st.just("swap")),
    st.builds(TokenOp, st.sampled_from(["std-alphabet", "std-alphabet-signature"])),
    st.builds(TokenOp, st.just("twice"), st.just(0), st.sampled_from([",", " ", ", ", ";"])),
    st.builds(TokenOp, st.just("wrap"), st.just(0), st.sampled_from([" ", "\t", '"', "'"])),
    st.builds(TokenOp, st.just("replace"), st.just(0), header_text),
)


# -- headers --------------------------------------------------------------------------------------


def _credential_header(ex: Exchange, name: str) -> None:
    """Setting or dropping a header by hand: the spec it was made from stops applying."""
    lowered = name.lower()
    if lowered == "authorization":
        ex.auth_token = None
    elif lowered == "dpop":
        ex.proof = None


def _bearer(ex: Exchange) -> set[str]:
    """The owner's entitlement spoilt by a broken Authorization, if that is what carried it."""
    return {"owner"} if ex.caller in ("owner_bearer", "owner_basic") else set()


@dataclasses.dataclass(frozen=True)
class SetHeader(Mutation):
    name: str
    value: str

    def apply(self, ex, world):
        _credential_header(ex, self.name)
        ex.set_header(self.name, self.value)

    def spoils(self, ex):
        return _credential_spoils(self.name, ex)


@dataclasses.dataclass(frozen=True)
class DropHeader(Mutation):
    name: str

    def apply(self, ex, world):
        _credential_header(ex, self.name)
        ex.set_header(self.name, None)

    def spoils(self, ex):
        return _credential_spoils(self.name, ex)


def _credential_spoils(name: str, ex: Exchange) -> set[str]:
    """Set or dropped by hand: what the request is entitled to is read from the final header."""
    return {"proof"} if name.lower() == "dpop" else set()


@dataclasses.dataclass(frozen=True)
class DuplicateHeader(Mutation):
    """The same header twice: the server joins them with a comma."""

    name: str
    value: str

    def apply(self, ex, world):
        name, value = self.name, self.value

        def add(wire: WireRequest) -> None:
            wire.headers.append((name, value.encode("latin-1", "replace")))

        ex.raw_ops.append(add)

    def spoils(self, ex):
        lowered = self.name.lower()
        if lowered == "authorization":
            return {"grant"} | _bearer(ex)
        if lowered == "cookie" and ex.caller == "owner_page":
            return {"owner"}
        return {"proof"} if lowered == "dpop" else set()


@dataclasses.dataclass(frozen=True)
class OwnerCredentialsOnOtherRequests(Mutation):
    """A valid owner token, or the page cookie, added where it does not belong."""

    which: str

    def apply(self, ex, world):
        if self.which == "bearer" and ex.auth_token is None:
            ex.auth_scheme, ex.auth_token = "Bearer", world.owner_token
        elif self.which == "cookie":
            ex.set_header("Cookie", world.cookie_header())
        elif self.which == "csrf-only" and ex.form is not None:
            ex.form = [(k, v) for k, v in ex.form if k != "csrf_token"] + [
                ("csrf_token", world.csrf)
            ]


@dataclasses.dataclass(frozen=True)
class Chunked(Mutation):
    def apply(self, ex, world):
        ex.chunked = True


headers_family = st.one_of(
    st.builds(SetHeader, st.sampled_from(HEADER_NAMES), header_text),
    st.builds(DropHeader, st.sampled_from(HEADER_NAMES)),
    st.builds(DuplicateHeader, st.sampled_from(HEADER_NAMES), header_text),
    st.builds(OwnerCredentialsOnOtherRequests, st.sampled_from(["bearer", "cookie", "csrf-only"])),
    st.just(Chunked()),
)


# -- Authorization --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AuthScheme(Mutation):
    scheme: str

    def apply(self, ex, world):
        if ex.auth_token is None:
            ex.auth_token = world.vendor_a.grant_token
        ex.auth_scheme = self.scheme


@dataclasses.dataclass(frozen=True)
class AuthSeparator(Mutation):
    separator: str

    def apply(self, ex, world):
        ex.auth_separator = self.separator

    def spoils(self, ex):
        # A space, then any white space the pod strips from the credentials.
        if self.separator.startswith(" ") and not self.separator.strip():
            return set()
        return {"grant"} | _bearer(ex)


@dataclasses.dataclass(frozen=True)
class AuthToken(Mutation):
    op: TokenOp

    def apply(self, ex, world):
        if ex.auth_token is None:
            ex.auth_scheme, ex.auth_token = "DPoP", world.vendor_a.grant_token
        ex.auth_token_ops.append(self.op)


@dataclasses.dataclass(frozen=True)
class OtherToken(Mutation):
    """A real token of another kind where this one belongs."""

    which: str

    def apply(self, ex, world):
        token = {
            "grant-a": world.vendor_a.grant_token,
            "grant-b": world.vendor_b.grant_token,
            "owner": world.owner_token,
            "receipt": "",
            "spare-id": f"pds_{world.spare_token_id}_x",
            "owner-without-prefix": world.owner_token.removeprefix("pds_"),
        }[self.which]
        if ex.auth_scheme is None:
            ex.auth_scheme = "DPoP"
        ex.auth_token = token


@dataclasses.dataclass(frozen=True)
class GrantEdit(Mutation):
    """A field of the grant's header or claims changed; re-signed by the vendor, or not."""

    part: str  # header or claims
    name: str
    value: Any
    resign: bool

    def spoils(self, ex):
        # Removing a member that was not there gives the same bytes: the grant is untouched.
        return set() if ex.auth_token == ex.notes.get("grant before edit") else {"grant"}

    def apply(self, ex, world):
        token = ex.auth_token or world.vendor_a.grant_token
        ex.notes["grant before edit"] = token
        head, body, signature = [*token.split("."), "", "", ""][:3]
        try:
            header = json.loads(base64.urlsafe_b64decode(head + "==="))
            claims = json.loads(base64.urlsafe_b64decode(body + "==="))
        except (ValueError, RecursionError):  # an earlier edit nested it too deep to read
            return
        target = header if self.part == "header" else claims
        if self.value is DELETE:
            target.pop(self.name, None)
        else:
            target[self.name] = self.value
        if self.resign:
            spec = TokenSpec(world.vendor_a.private_key, header, claims)
            ex.auth_token = spec.encode()
        else:
            ex.auth_token = ".".join(
                [
                    b64url(dumps(header).encode("utf-8", "surrogatepass")),
                    b64url(dumps(claims).encode("utf-8", "surrogatepass")),
                    signature,
                ]
            )
        ex.auth_scheme = ex.auth_scheme or "DPoP"


token_field_values = st.one_of(
    st.just(DELETE),
    json_values,
    st.sampled_from(FIELD_VALUES),
)

auth_family = st.one_of(
    st.builds(
        AuthScheme,
        st.sampled_from(AUTH_SCHEMES),
    ),
    st.builds(AuthSeparator, st.sampled_from(AUTH_SEPARATORS)),
    st.builds(AuthToken, token_ops),
    st.builds(
        OtherToken,
        st.sampled_from(OTHER_TOKENS),
    ),
    st.sampled_from(list(GRANT_FIELDS)).flatmap(
        lambda part: st.builds(
            GrantEdit,
            st.just(part),
            st.sampled_from(GRANT_FIELDS[part]),
            token_field_values,
            st.booleans(),
        )
    ),
    st.builds(
        SetHeader,
        st.just("Authorization"),
        st.one_of(
            st.sampled_from(AUTHORIZATIONS),
            header_text,
        ),
    ),
)


# -- DPoP proofs ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ProofHeader(Mutation):
    name: str
    value: Any

    last_edit_wins: ClassVar[bool] = True

    def apply(self, ex, world):
        _ensure_proof(ex, world).header[self.name] = self.value

    def spoils(self, ex):
        # The world's vendors have Ed25519 keys: their proofs are EdDSA.
        if self.name == "typ":
            return set() if self.value == "dpop+jwt" else {"proof"}
        if self.name == "alg":
            return set() if self.value == "EdDSA" else {"proof"}
        if self.name == "kid":
            return set() if isinstance(self.value, str) or self.value is DELETE else {"proof"}
        if self.name == "crit":
            return set() if self.value is DELETE else {"proof"}
        if self.name == "jwk":
            return {"proof"}
        return set()  # other members are ignored


@dataclasses.dataclass(frozen=True)
class ProofJwk(Mutation):
    """The proof's jwk edited: extra public members are fine, anything else spoils it."""

    name: str
    value: Any

    last_edit_wins: ClassVar[bool] = True

    def apply(self, ex, world):
        spec = _ensure_proof(ex, world)
        jwk = spec.header.get("jwk")
        jwk = dict(jwk) if isinstance(jwk, dict) else {}
        if self.value is DELETE:
            jwk.pop(self.name, None)
        else:
            jwk[self.name] = self.value
        spec.header["jwk"] = jwk

    def spoils(self, ex):
        # The world's keys are Ed25519: kty, crv and x make the key; others are ignored,
        # unless private.
        private = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}
        if self.name in {"kty", "crv", "x"}:
            return {"proof"}
        return {"proof"} if self.name in private and self.value is not DELETE else set()


@dataclasses.dataclass(frozen=True)
class ProofClaim(Mutation):
    name: str
    value: Any
    benign: bool = False

    last_edit_wins: ClassVar[bool] = True

    def apply(self, ex, world):
        spec = _ensure_proof(ex, world)
        value = self.value
        if isinstance(value, Offset):
            value = value.resolve()
        spec.claims[self.name] = _fresh_jti(value) if self.name == "jti" else value

    def spoils(self, ex):
        if self.name == "jti":  # §7.2: any string of 8 to 128 characters
            valid = isinstance(self.value, str) and not isinstance(self.value, Raw)
            valid = valid and 8 <= len(self.value) <= 128
            return set() if valid else {"proof"}
        if self.value is DELETE and self.name not in ("htm", "htu", "iat", "jti", "ath"):
            return set()  # an optional claim left out
        if self.name in ("exp", "nbf") and not isinstance(self.value, Offset):
            number = _number(self.value)  # §7.2: if present, a number, and enforced
            if number is not None:
                now = time.time()
                valid = number > now if self.name == "exp" else number <= now + 5
                return set() if valid else {"proof"}
        return set() if self.benign else {"proof"}


def _number(value: Any) -> float | int | None:
    """The finite number a claim value stands for, if it is one (JSON text included)."""
    if isinstance(value, Raw):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fresh_jti(value: Any) -> Any:
    """A jti is single use: a replayed example must not be refused as a replay. Its last four
    characters are made new each time; its length and the rest stay as drawn."""
    if isinstance(value, str) and not isinstance(value, Raw) and len(value) >= 8:
        return value[:-4] + secrets.token_hex(2)
    return value


@dataclasses.dataclass(frozen=True)
class Offset:
    """A time relative to now, made when the proof is."""

    seconds: float
    as_float: bool = False
    as_string: bool = False

    def resolve(self) -> Any:
        value: Any = time.time() + self.seconds
        value = value if self.as_float else int(value)
        return str(value) if self.as_string else value


@dataclasses.dataclass(frozen=True)
class ProofSigning(Mutation):
    mode: str
    breaks: ClassVar[frozenset[str]] = frozenset({"proof"})

    def apply(self, ex, world):
        _ensure_proof(ex, world).signing = self.mode


@dataclasses.dataclass(frozen=True)
class ProofRaw(Mutation):
    """The proof's header or claims replaced by JSON text."""

    part: str
    text: str
    breaks: ClassVar[frozenset[str]] = frozenset({"proof"})

    def apply(self, ex, world):
        spec = _ensure_proof(ex, world)
        if self.part == "header":
            spec.raw_header = self.text
        else:
            spec.raw_claims = self.text


@dataclasses.dataclass(frozen=True)
class ProofText(Mutation):
    """A change to the proof's text (what it spoils is judged when it is made: see
    `exchange.materialize`)."""

    op: TokenOp

    def apply(self, ex, world):
        _ensure_proof(ex, world)
        ex.proof_ops.append(self.op)


@dataclasses.dataclass(frozen=True)
class ProofBy(Mutation):
    """A proof made by another vendor's key (each key signs its own proof)."""

    who: str

    def apply(self, ex, world):
        vendor = {"a": world.vendor_a, "b": world.vendor_b, "c": world.vendor_c}[self.who]
        ex.proof = proof_spec(vendor, with_ath=True)
        ex.proof_signer = {"a": "vendor_a", "b": "vendor_b"}.get(self.who, "other")


def _htu_values():
    return st.one_of(
        st.sampled_from(HTU_VALUES),
        json_values,
    )


proof_claim = st.one_of(
    # Values that keep the proof good.
    st.builds(
        ProofClaim,
        st.just("iat"),
        st.builds(Offset, st.integers(-30, 2), st.booleans()),
        st.just(True),
    ),
    st.builds(ProofClaim, st.just("exp"), st.builds(Offset, st.integers(30, 10**6)), st.just(True)),
    st.builds(
        ProofClaim, st.just("nbf"), st.builds(Offset, st.integers(-1000, -10)), st.just(True)
    ),
    st.builds(
        ProofClaim, st.sampled_from(["nonce", "extra", "cnf", "iss"]), json_values, st.just(True)
    ),
    st.builds(
        ProofClaim,
        st.just("jti"),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=8, max_size=128),
        st.just(True),
    ),
    # Values that spoil it.
    st.builds(
        ProofClaim,
        st.just("iat"),
        st.one_of(
            st.builds(
                Offset, st.sampled_from([-3600, -61, 6, 3600, 10**9]), st.booleans(), st.booleans()
            ),
            st.sampled_from(["123", "", "now", DELETE, None, True, [], {}])
            | st.sampled_from(RAW_JSON).map(Raw)
            | st.floats(allow_nan=True, allow_infinity=True)
            | st.integers(min_value=-(2**80), max_value=2**80),
        ),
    ),
    st.builds(ProofClaim, st.just("htu"), _htu_values()),
    st.builds(
        ProofClaim,
        st.just("htm"),
        st.one_of(
            st.sampled_from(["get", "post", "GET ", "PUT", "DELETE", "", DELETE]), json_values
        ),
    ),
    st.builds(
        ProofClaim,
        st.sampled_from(["jti", "ath", "exp", "nbf"]),
        st.one_of(st.just(DELETE), json_values),
    ),
    st.builds(
        ProofClaim,
        st.just("jti"),
        st.sampled_from(["short", Long("x" * 129), "\ud800" * 8, "\x00" * 8, "é" * 8]),
    ),
)
proof_family = st.one_of(
    st.builds(
        ProofHeader,
        st.sampled_from(PROOF_HEADER_NAMES),
        st.one_of(token_field_values, st.sampled_from(PROOF_HEADER_VALUES)),
    ),
    st.builds(ProofHeader, st.just("jwk"), st.one_of(json_values, st.just(DELETE))),
    st.builds(
        ProofJwk,
        st.sampled_from(JWK_MEMBERS),
        st.one_of(
            st.just(DELETE),
            json_values,
            st.sampled_from(JWK_VALUES),
        ),
    ),
    proof_claim,
    st.builds(ProofSigning, st.sampled_from(SIGNING_MODES)),
    st.builds(
        ProofRaw,
        st.sampled_from(["header", "claims"]),
        st.sampled_from(RAW_PARTS),
    ),
    st.builds(ProofText, token_ops),
    st.builds(ProofBy, st.sampled_from(["a", "b", "c"])),
    st.builds(
        SetHeader,
        st.just("DPoP"),
        st.sampled_from(DPOP_VALUES),
    ),
)


# -- paths and queries ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PathEdit(Mutation):
    kind: str
    text: str = ""
    index: int = 0

    def apply(self, ex, world):
        path = ex.path
        text = self.text.replace("{A}", world.vendor_a.id).replace("{B}", world.vendor_b.id)
        text = text.replace("{port}", str(world.port))
        for name, value in (
            ("{thread}", world.vendor_thread_id),
            ("{offer_thread}", world.offer_thread_id),
            ("{reply}", world.reply_token),
            ("{offer}", world.offer_id),
        ):
            text = text.replace(name, value)
        if self.kind == "append":
            ex.path = path + text
        elif self.kind == "replace":
            ex.path = text or "*"
        elif self.kind == "insert":
            at = self.index % (len(path) + 1)
            ex.path = path[:at] + text + path[at:]
        elif self.kind == "slash":
            ex.path = path[:-1] if path.endswith("/") and len(path) > 1 else path + "/"
        elif self.kind == "double":
            ex.path = path.replace("/", "//")
        elif self.kind == "case":
            ex.path = path.upper() if self.index % 2 else path.swapcase()
        elif self.kind == "escape-all":
            ex.path = "".join(
                c if c == "/" else "%" + format(ord(c), "02X") if ord(c) < 128 else c for c in path
            )
        elif self.kind == "escape-slashes":
            ex.path = path[:1] + path[1:].replace("/", "%2F")


@dataclasses.dataclass(frozen=True)
class RawTarget(Mutation):
    """Bytes put in the request target as they are (not valid UTF-8, absolute form...)."""

    kind: str
    data: bytes = b""

    def apply(self, ex, world):
        kind, data, port = self.kind, self.data, world.port

        def edit(wire: WireRequest) -> None:
            if kind == "append":
                wire.target += data
            elif kind == "absolute" and wire.target.startswith(b"/"):
                wire.target = f"http://127.0.0.1:{port}".encode() + wire.target
            elif kind == "absolute-other-host" and wire.target.startswith(b"/"):
                wire.target = b"http://evil.example" + wire.target
            elif kind == "replace":
                wire.target = data or b"*"

        ex.raw_ops.append(edit)

    def spoils(self, ex):
        # The proof was made for the path before these bytes were added.
        return {"proof"} if self.kind in ("append", "replace") else set()


paths_family = st.one_of(
    st.builds(PathEdit, st.just("append"), st.sampled_from(PATH_SUFFIXES)),
    st.builds(PathEdit, st.just("replace"), st.sampled_from(PATH_REPLACEMENTS + THREAD_PATHS)),
    st.builds(
        PathEdit,
        st.just("insert"),
        st.sampled_from([*PATH_SUFFIXES, "/", "%2e", "\x00", "%00"]),
        st.integers(0, 200),
    ),
    st.builds(
        PathEdit,
        st.sampled_from(["slash", "double", "case", "escape-all", "escape-slashes"]),
        st.just(""),
        st.integers(0, 1),
    ),
    st.builds(
        RawTarget,
        st.sampled_from(["append", "replace"]),
        st.sampled_from(RAW_TARGETS),
    ),
    st.builds(RawTarget, st.sampled_from(["absolute", "absolute-other-host"])),
)


@dataclasses.dataclass(frozen=True)
class QueryParam(Mutation):
    key: str
    value: str

    def apply(self, ex, world):
        key = self.key.replace("%00", "\x00")
        value = self.value
        if "%" in value:
            pair = urllib.parse.quote(key, safe="%") + "=" + value
        else:
            pair = urllib.parse.urlencode({key: value})
        ex.query = f"{ex.query}&{pair}" if ex.query else pair


@dataclasses.dataclass(frozen=True)
class RawQuery(Mutation):
    text: str

    def apply(self, ex, world):
        ex.query = self.text


queries_family = st.one_of(
    st.builds(
        QueryParam,
        st.sampled_from(QUERY_KEYS),
        st.one_of(st.sampled_from(QUERY_VALUES), st.text(max_size=12).map(urllib.parse.quote)),
    ),
    st.builds(
        RawQuery,
        st.sampled_from(RAW_QUERIES),
    ),
)


@dataclasses.dataclass(frozen=True)
class SetMethod(Mutation):
    method: str

    def apply(self, ex, world):
        ex.method = self.method


methods_family = st.builds(
    SetMethod,
    st.sampled_from(METHODS),
)


# -- bodies ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Body(Mutation):
    """The body replaced (a credential-bearing one spoils what it bore)."""

    content: bytes
    content_type: str | None = None

    def apply(self, ex, world):
        ex.json_body, ex.signed_request = DELETE, None
        ex.form = None
        ex.body = self.content
        if self.content_type is not None:
            ex.set_header("Content-Type", self.content_type)

    def spoils(self, ex):
        return {"signed_request"}


@dataclasses.dataclass(frozen=True)
class JsonBody(Mutation):
    value: Any

    def apply(self, ex, world):
        ex.form, ex.signed_request = None, None
        ex.json_body = self.value
        ex.set_header("Content-Type", "application/json")

    def spoils(self, ex):
        return {"signed_request"}


@dataclasses.dataclass(frozen=True)
class JsonField(Mutation):
    key: str
    value: Any

    def apply(self, ex, world):
        if ex.json_body is DELETE or not isinstance(ex.json_body, dict):
            ex.json_body = {}
            ex.set_header("Content-Type", "application/json")
        ex.json_body = {**ex.json_body, self.key: self.value}


@dataclasses.dataclass(frozen=True)
class FormField(Mutation):
    """A field of a page form set (scraped names by index, or any name)."""

    key: str
    value: str
    index: int = -1

    def apply(self, ex, world):
        fields = list(ex.form or [("csrf_token", world.csrf)])
        names = [k for k, _ in fields if k != "csrf_token"]
        key = names[self.index % len(names)] if self.index >= 0 and names else self.key
        fields = [(k, v) for k, v in fields if k != key] + [(key, self.value)]
        ex.form, ex.json_body, ex.signed_request = fields, DELETE, None
        ex.body = b""


@dataclasses.dataclass(frozen=True)
class BodyOp(Mutation):
    """A change to the body's bytes, after it is made."""

    kind: str
    index: int = 0
    data: bytes = b""

    def apply(self, ex, world):
        kind, index, data = self.kind, self.index, self.data

        def edit(body: bytes) -> bytes:
            if kind == "flip" and body:
                at = index % len(body)
                return body[:at] + bytes([body[at] ^ 0x80]) + body[at + 1 :]
            if kind == "truncate":
                return body[: index % (len(body) + 1)]
            if kind == "insert":
                at = index % (len(body) + 1)
                return body[:at] + data + body[at:]
            if kind == "oversize":
                limit = world.app.config["PDS_MAX_BODY_BYTES"]
                return body + b"#" * (limit + 1 - len(body) + index % 3)
            return body

        ex.body_ops.append(edit)

    # What it spoils (a signed body) is judged when the body is made: see `materialize`.


@dataclasses.dataclass(frozen=True)
class RequestClaim(Mutation):
    """A claim of a signed access request changed, and the request signed again."""

    name: str
    value: Any

    def apply(self, ex, world):
        value = _fresh_jti(self.value) if self.name == "jti" else self.value
        _ensure_request(ex, world).claims[self.name] = value


@dataclasses.dataclass(frozen=True)
class RequestHeader(Mutation):
    name: str
    value: Any

    def apply(self, ex, world):
        _ensure_request(ex, world).header[self.name] = self.value


@dataclasses.dataclass(frozen=True)
class RequestSigning(Mutation):
    mode: str
    breaks: ClassVar[frozenset[str]] = frozenset({"signed_request"})

    def apply(self, ex, world):
        _ensure_request(ex, world).signing = self.mode


@dataclasses.dataclass(frozen=True)
class RequestText(Mutation):
    """A change to the signed request's (or offer's) text, judged when it is made."""

    op: TokenOp

    def apply(self, ex, world):
        _ensure_request(ex, world)
        op = self.op

        def edit(body: bytes) -> bytes:
            return op(body.decode("latin-1")).encode("latin-1", "replace")

        ex.body_ops.append(edit)


SIGNERS = ("submitter", "offerer", "messenger_a", "messenger_d")


def _ensure_request(ex: Exchange, world: World) -> TokenSpec:
    """The request's signed body (an access request, offer or message); one made anew, valid,
    if a body mutation replaced it (an access request, if the caller signs none)."""
    if ex.signed_request is None:
        caller = ex.caller
        ex.caller = caller if caller in SIGNERS else "submitter"
        credentials(world, ex)
        ex.caller = caller
        ex.breaks.discard("signed_request")  # what spoilt the body before is gone with it
    assert ex.signed_request is not None
    return ex.signed_request


rdf_bodies = st.one_of(
    st.builds(
        Body,
        st.sampled_from(TURTLE_GARBAGE).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from(["text/turtle", "application/n-triples"]),
    ),
    st.builds(
        Body,
        st.sampled_from(JSONLD_GARBAGE).map(lambda v: _json_bytes(v)),
        st.just("application/ld+json"),
    ),
    st.builds(
        Body,
        st.sampled_from(SPARQL_GARBAGE).map(lambda t: t.encode()),
        st.just("application/sparql-update"),
    ),
)


def _json_bytes(value: Any) -> bytes:
    return dumps(value).encode("utf-8", "surrogatepass")


bodies_family = st.one_of(
    rdf_bodies,
    st.builds(Body, st.binary(max_size=64), st.one_of(st.none(), st.sampled_from(CONTENT_TYPES))),
    st.builds(
        Body,
        st.sampled_from(RAW_BODIES),
        st.sampled_from(CONTENT_TYPES),
    ),
    st.builds(JsonBody, json_values),
    st.builds(
        JsonField,
        st.sampled_from(JSON_KEYS),
        st.one_of(
            json_values,
            st.sampled_from(JSON_FIELD_VALUES),
        ),
    ),
    st.builds(
        FormField,
        st.sampled_from(FORM_KEYS),
        text_values.map(lambda t: t.encode("utf-8", "surrogatepass").decode("utf-8", "replace")),
        st.integers(-1, 30),
    ),
    st.builds(BodyOp, st.just("flip"), st.integers(0, 10**6)),
    st.builds(BodyOp, st.just("truncate"), st.integers(0, 10**6)),
    st.builds(
        BodyOp,
        st.just("insert"),
        st.integers(0, 10**6),
        st.sampled_from([b"\x00", b"\xff", b"\xc3", b"\r\n", b'"', b"\\", b"%00", b"\xed\xa0\x80"]),
    ),
    st.builds(BodyOp, st.just("oversize"), st.integers(0, 2)),
    st.builds(SetHeader, st.just("Content-Type"), st.sampled_from(CONTENT_TYPES)),
    st.builds(DropHeader, st.just("Content-Type")),
    st.just(Chunked()),
)


@dataclasses.dataclass(frozen=True)
class OfferClaim(Mutation):
    """A claim of a signed offer changed, and the offer signed again (§14.2)."""

    name: str
    value: Any

    def apply(self, ex, world):
        if ex.signed_request is None:
            return
        value = _fresh_jti(self.value) if self.name == "jti" else self.value
        ex.signed_request.claims[self.name] = value


offer_family = st.one_of(
    st.sampled_from(list(OFFER_CLAIM_VALUES)).flatmap(
        lambda name: st.builds(
            OfferClaim,
            st.just(name),
            st.one_of(st.sampled_from(OFFER_CLAIM_VALUES[name]), json_values, st.just(DELETE)),
        )
    ),
    st.builds(RequestSigning, st.sampled_from(SIGNING_MODES)),
    st.builds(RequestText, token_ops),
    bodies_family,
)


request_family = st.one_of(
    st.sampled_from(list(REQUEST_CLAIM_VALUES)).flatmap(
        lambda name: st.builds(
            RequestClaim,
            st.just(name),
            st.one_of(st.sampled_from(REQUEST_CLAIM_VALUES[name]), json_values, st.just(DELETE)),
        )
    ),
    st.builds(
        RequestHeader,
        st.sampled_from(["typ", "alg", "jwk", "crit", "kid", "x5u"]),
        st.one_of(token_field_values, st.just({"kty": "OKP", "crv": "Ed25519", "x": "!!!"})),
    ),
    st.builds(RequestSigning, st.sampled_from(["other-key", "empty", "garbage", "hmac"])),
    st.builds(RequestText, token_ops),
    bodies_family,
)


def apply_all(ex: Exchange, world: World, mutations: list[Mutation]) -> None:
    """Apply `mutations` in order; each records what it spoils."""
    for mutation in mutations:
        mutation(ex, world)
