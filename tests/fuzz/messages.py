"""The fuzzing of conversations (protocol §15): hostile values of a signed message's claims and
of its Note, and the mutations that sign a message again with one of them."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.exchange import DELETE, FILL, Long, Raw
from tests.fuzz.hostile import CONTENT_TYPES, SIGNING_MODES
from tests.fuzz.mutations import (
    BodyOp,
    Chunked,
    Mutation,
    Offset,
    RequestHeader,
    RequestSigning,
    RequestText,
    SetHeader,
    _fresh_jti,
    json_values,
    text_values,
    token_field_values,
    token_ops,
)


def _note(content: Any = "ok", **members: Any) -> dict[str, Any]:
    return {"type": "Note", "content": content, **members}


# A message's claims (§15.2). In `aud`, {base} is the pod's URL, {thread} A's thread id and
# {offer_thread_url} the URL of the offer's thread; FILL in a list is the URL posted to.
MESSAGE_CLAIM_VALUES: dict[str, list[Any]] = {
    "aud": [
        None,
        "",
        1,
        {},
        [FILL],
        [FILL, "x"],
        "{base}",
        "{base}/threads/",
        "{base}/threads/{thread}",
        "{base}/THREADS/{thread}",
        "{offer_thread_url}",
        "{offer_thread_url}/",
        "http://127.0.0.1:1/threads/",
        "https://relay.example/replies/x/offers/y/thread",
    ],
    "iat": [None, "1", -1, 1.5, 10**30, True, Raw("1e999"), Raw("NaN"), Raw("1" + "0" * 400)],
    "exp": [None, "1", -1, 10**30, 2**63, True, Raw("-1e999")],
    "nbf": [None, "x", 10**30, -(10**30), True, Raw("NaN")],
    "jti": [None, 1, "", "short", "\ud800" * 8, "\x00" * 8, "é" * 8, Long("x" * 129), [], {}],
    "object": [
        None,
        "x",
        [],
        {},
        Raw("[" * 1000 + "]" * 1000),
        Raw('{"a":' * 1000 + "1" + "}" * 1000),
        Raw('{"type":"Note","content":"hi","type":"Article"}'),
        {"type": "Note"},
        {"type": "note", "content": "hi"},
        {"type": ["Note"], "content": "hi"},
        {"content": "hi"},
        _note(1),
        _note(None),
        _note(["hi"]),
        _note({"en": "hi"}),
        _note("<b>hi</b>", mediaType="text/html"),
        _note("hi", mediaType=None),
        _note("hi", mediaType="TEXT/PLAIN"),
        _note("hi", mediaType="text/plain; charset=utf-8"),
        _note(""),
        _note(" \n\t "),
        _note("a\x00b"),
        _note("\x1b[31mred"),
        _note("a\x7fb"),
        _note("\x85"),
        _note("\ud800"),
        _note("a\udfffb"),
        _note("two\r\nlines\rand\ta tab"),
        _note("\u202e\ufeff\u200b"),
        _note("<script>alert(1)</script>", name="<script>alert(1)</script>"),
        _note(Long("x" * 4000)),
        _note(Long(" " + "x" * 4000 + " ")),
        _note(Long("x" * 4001)),
        _note(Long("x" * 13000)),
        _note("hi", name="two\nlines"),
        _note("hi", name=Long("s" * 201)),
        _note("hi", name=1),
        _note("hi", name="\ud800"),
        _note("hi", name=""),
        _note("hi", name="  "),
        _note("hi", name="\x00"),
        _note("hi", name="\u202egnp.exe"),
        _note("hi", name="a\u2066b"),
        _note("hi", name=None),
        _note("hi", attachment=[{"type": "Image", "url": "javascript:alert(1)"}]),
        _note("hi", **{"@context": Raw("[" * 1000 + "]" * 1000)}),
    ],
    "vendor": [
        None,
        "x",
        [],
        {},
        {"name": ""},
        {"name": "  "},
        {"name": 1},
        {"name": "\ud800"},
        {"name": "a\x00b"},
        {"name": Long("x" * 201)},
        {"name": "ok", "homepage": "http://["},
        {"name": "ok", "homepage": "javascript:alert(1)"},
        {"name": "ok", "homepage": "ftp://example.com/"},
        {"name": "ok", "contact": "\ud800"},
        {"name": "ok", "contact": ""},
        {"name": "ok", "verified": True},
        {"name": Raw("[" * 1000 + "]" * 1000)},
    ],
}


@dataclasses.dataclass(frozen=True)
class MessageClaim(Mutation):
    """A claim of a signed message changed, and the message signed again (§15.2); what it
    spoils is judged when the message is made (see `exchange.materialize`)."""

    name: str
    value: Any

    def apply(self, ex, world):
        if ex.signed_request is None or "message by" not in ex.notes:
            return
        value = self.value
        if isinstance(value, Offset):
            value = value.resolve()
        elif isinstance(value, str) and not isinstance(value, Raw) and "{" in value:
            value = (
                value.replace("{offer_thread_url}", world.offer_thread_url())
                .replace("{base}", world.url)
                .replace("{thread}", world.vendor_thread_id)
            )
        ex.signed_request.claims[self.name] = _fresh_jti(value) if self.name == "jti" else value


@dataclasses.dataclass(frozen=True)
class MessageNote(Mutation):
    """A member of the message's Note changed (or the Note made anew)."""

    name: str
    value: Any

    def apply(self, ex, world):
        if ex.signed_request is None or "message by" not in ex.notes:
            return
        note = ex.signed_request.claims.get("object")
        note = dict(note) if isinstance(note, dict) else {}
        if self.value is DELETE:
            note.pop(self.name, None)
        else:
            note[self.name] = self.value
        ex.signed_request.claims["object"] = note


message_family = st.one_of(
    st.sampled_from(list(MESSAGE_CLAIM_VALUES)).flatmap(
        lambda name: st.builds(
            MessageClaim,
            st.just(name),
            st.one_of(st.sampled_from(MESSAGE_CLAIM_VALUES[name]), json_values, st.just(DELETE)),
        )
    ),
    st.builds(
        MessageClaim,
        st.sampled_from(["iat", "exp", "nbf"]),
        st.builds(Offset, st.integers(-1000, 1000), st.booleans(), st.booleans()),
    ),
    st.builds(
        MessageNote,
        st.sampled_from(["type", "content", "mediaType", "name", "@context", "summary"]),
        st.one_of(text_values, json_values, st.just(DELETE)),
    ),
    st.builds(
        MessageClaim,
        st.sampled_from(["vendor", "iss", "extra"]),
        st.one_of(
            st.builds(dict, name=text_values),
            st.dictionaries(st.sampled_from(["name", "homepage", "contact"]), text_values),
        ),
    ),
    st.builds(
        RequestHeader,
        st.sampled_from(["typ", "alg", "jwk", "crit", "kid"]),
        token_field_values,
    ),
    st.builds(RequestSigning, st.sampled_from(SIGNING_MODES)),
    st.builds(RequestText, token_ops),
    # Not all of bodies_family (its branches would outnumber these; it has a test of its own).
    st.builds(SetHeader, st.just("Content-Type"), st.sampled_from(CONTENT_TYPES)),
    st.builds(BodyOp, st.just("oversize"), st.integers(0, 2)),
    st.just(Chunked()),
)
