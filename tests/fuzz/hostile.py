"""Hostile values: what the mutations put in headers, tokens, paths, queries and bodies.

Plain data, kept apart from the mutations that use it so each list can grow on its own. Long
values are `Long` and JSON text is `Raw`, so that reports print them short.
"""

from __future__ import annotations

import base64
from typing import Any

from tests.fuzz.exchange import Long, Raw, b64url

HEADER_VALUES = [
    "",
    " ",
    "\x00",
    "\t",
    "é",
    "\xff\xfe",
    Long("A" * 9000),
    "a,b",
    ";;;",
    '"',
    "*",
    'W/"x"',
    '"a", "b"',
    "\x01\x02",
    "null",
    "text/turtle;q=NaN",
    "*/*;q=0.5, text/*;q=0.9",
    "application/*",
    "application/json",
    "application/ld+json;q=1.5",
]


FIELD_VALUES = [
    "none",
    "HS256",
    "RS256",
    "ES256",
    "EdDSA",
    "dpop+jwt",
    "pds-grant+jwt",
    ["exp"],
    [],
    {"jkt": 1},
    {"jkt": None},
    [{"resource": "/profile"}],
    [{"resource": 1, "modes": "read"}],
    [{"modes": ["write"], "resource": "/"}],
    "../../../etc/passwd",
    "http://127.0.0.1:1/",
]


AUTH_SCHEMES = [
    "dpop",
    "DPOP",
    "Bearer",
    "bearer",
    "Basic",
    "Digest",
    "",
    "DPoP,",
    "Token",
    "DPoP DPoP",
    "é",
]


AUTH_SEPARATORS = ["  ", "\t", "", ": ", " \x0b", ",", "="]


OTHER_TOKENS = ["grant-a", "grant-b", "owner", "receipt", "spare-id", "owner-without-prefix"]


AUTHORIZATIONS = [
    "Basic",
    "Basic !!!",
    "Basic é",
    "Basic \xff\x00",
    "Basic " + base64.b64encode(b"no colon").decode(),
    "Basic " + base64.b64encode(b"owner:\xff\xfe").decode(),
    "Basic " + base64.b64encode(b":").decode(),
    "Bearer pds_",
    "Bearer pds__",
    "Bearer pds_x_y",
    Long("Bearer pds_" + "a" * 300),
    "Bearer pds_%00_x",
    "Bearer pds_\x00_x",
    "Bearer pds_é_x",
    "DPoP",
    "DPoP ",
    "DPoP e30.e30.",
    "DPoP ...",
]


HTU_VALUES = [
    "http://[",
    "http://[::1",
    "http://127.0.0.1:99999/data/profile",
    "http://127.0.0.1:abc/data/profile",
    "http://127.0.0.1:-1/",
    "http://[::1]:80/data/profile",
    "//127.0.0.1/data/profile",
    "data/profile",
    "",
    "http://",
    "file:///etc/passwd",
    "http://user:pw@127.0.0.1/data/profile",
    "http://127.0.0.1/data/profile#frag",
    "http://127.0.0.1/data/%zz",
    "http://127.0.0.1/data/%ff%fe",
    "http://127.0.0.1/data/\x00",
    "http://127.0.0.1/data/\ud800",
    "http://xn--n3h.example/",
    "http://ex ample/",
    Long("http://127.0.0.1/" + "a" * 5000),
]


PROOF_HEADER_NAMES = [
    "alg",
    "typ",
    "kid",
    "crit",
    "jku",
    "x5u",
    "x5c",
    "b64",
    "zip",
    "cty",
    "nonce",
]


PROOF_HEADER_VALUES = ["EdDSA", "ES256", "dpop+jwt", "DPOP+JWT", "jwt"]


JWK_MEMBERS = ["kty", "crv", "x", "y", "d", "k", "kid", "use", "alg", "p", "oth"]


JWK_VALUES = ["EC", "RSA", "oct", "P-256", "X25519", "Ed448", "AAAA", "A" * 43, "é", "!!!"]


SIGNING_MODES = ["other-key", "empty", "garbage", "hmac"]


RAW_PARTS = [
    "",
    "null",
    "[]",
    "1",
    '"x"',
    "{",
    '{"typ":"dpop+jwt","typ":"x"}',
    '{"alg":"none","typ":"dpop+jwt"}',
    "{}" + " " * 10,
    "\ufeff{}",
    '{"iat":NaN,"jti":"aaaaaaaaaa","htm":"GET","htu":"x"}',
    '{"\\ud800":1}',
]


DPOP_VALUES = [
    "",
    " ",
    "x",
    "e30.e30.",
    "..",
    Long("a" * 5000),
    "é",
    "\x00",
    "a,b",
    "e30.e30.e30,e30.e30.e30",
]


RAW_TARGETS = [
    b"/\xff",
    b"/\xc3\x28",
    b"/\xe2\x82",
    b"\x00",
    b"/%",
    b"/\x7f",
    b"/\xc0\xae\xc0\xae/",
    b"",
    b"/data/\xff/",
]


RAW_QUERIES = [
    "%",
    "&&&",
    "=",
    "a=%zz",
    "=%00",
    "a[]=1&a[]=2",
    "a=1&a=2",
    Long("x" * 9000),
    "%ff%fe",
    ";",
    "a=b;c=d",
    "é",
]


METHODS = [
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "OPTIONS",
    "TRACE",
    "PROPFIND",
    "get",
    "FOO",
]


RAW_BODIES = [b"\xff\xfe\x00", b"\xc3\x28", b"\x00", b"\xef\xbb\xbf", b"\xed\xa0\x80"]


JSON_KEYS = [
    "name",
    "password",
    "old_password",
    "new_password",
    "setup_code",
    "terms",
    "scopes",
    "duration_seconds",
    "x",
]


JSON_FIELD_VALUES = [
    [{"id": "x\ud800", "title": "t", "text": "t"}],
    [{"id": "ok", "title": "\ud800", "text": "t"}],
    [{"id": "ok", "title": "t\x00", "text": "\x00"}],
    [{"id": "ok", "title": "t", "text": "t", "required": "no"}],
    [{"resource": "/profile", "modes": ["read"], "fields": [1]}],
    [{"resource": "/profile", "modes": ["read", "append"]}],
    [{"resource": "/vendors/" + "A" * 43 + "/", "modes": ["append"]}],
    [{"resource": "/profile", "modes": ["read"], "fields": []}],
    [{"resource": "/profile"}],
    [{"resource": "/profile"}] * 2,
    [{}],
    [None],
]


NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff\ud800x",
    "\ud800" * 10,
    "é",
    "\u202e",
    "\ufeff",
    "\U0001f4a5",
    Long("A" * 300),
    Long("A" * 5000),
    "..",
    "../..",
    "/",
    "%00",
    "%2e%2e",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "{{7*7}}",
    "\\",
    '"',
    "\r\n",
    "\n",
    "\t",
    "\x7f",
    "\x1b[31m",
    "null",
    "NaN",
    "-1",
    "0",
    "1e999",
    "99999999999999999999999999",
    "true",
    "[]",
    "{}",
    "2026-11-23T10:00:00+00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "http://[",
    "https://[::1",
    "https://user:pw@127.0.0.1/x",
]


RAW_JSON = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    "-0",
    Long("1" + "0" * 400),
    Long("-" + "9" * 400),
    "1.5e-400",
    '"\\ud800"',
    '"\\udc00\\ud800"',
    '"\\u0000"',
    '"a\\u0000b"',
    Long("[" * 3000 + "]" * 3000),
    Long("[" * 1000 + "]" * 1000),
    Long('{"a":' * 3000 + "1" + "}" * 3000),
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]"
    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
]


SEGMENT_TEXT = [
    "",
    "=",
    "====",
    "a",
    "!!!",
    "eyJ",
    "e30",  # {}
    b64url(b"null"),
    b64url(b"[]"),
    b64url(b"1"),
    b64url(b'"x"'),
    b64url(b"{"),
    b64url(b'{"alg":"none","typ":"dpop+jwt"}'),
    b64url(b'{"alg":"none"}'),
    b64url(b'{"a":"\\ud800"}'),
    b64url(b"\xff\xfe\xfd"),
    b64url(b'{"typ":"dpop+jwt","typ":"jwt"}'),
    "é",
    "\x00",
    Long("A" * 6000),
    "+/+/",
    "AAAA AAAA",
]


HEADER_NAMES = [
    "Authorization",
    "DPoP",
    "Content-Type",
    "Accept",
    "If-Match",
    "If-None-Match",
    "Slug",
    "Cookie",
    "Origin",
    "Host",
    "Referer",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "Forwarded",
    "Range",
    "Accept-Language",
    "Accept-Charset",
    "X-HTTP-Method-Override",
    "Content-Encoding",
    "Content-Language",
]


GRANT_FIELDS = {
    "header": ["alg", "typ", "kid", "crit", "jwk", "jku", "x5u", "b64", "zip"],
    "claims": ["iss", "aud", "sub", "jti", "iat", "nbf", "exp", "cnf", "scopes", "request"],
}


PATH_SUFFIXES = [
    "/..",
    "/../..",
    "/../../owner/tokens",
    "/.",
    "//",
    "/%2e%2e",
    "/%2E%2E/%2e%2e/profile",
    "/%2e",
    "/.hidden",
    "/%00",
    "/a%00b",
    "/%2f",
    "%2F..%2F..",
    "/%5c..%5c",
    "\\..\\",
    "/é",
    "/%C3%A9",
    "/%ff",
    "/%",
    "/%zz",
    "/%%32%65",
    Long("/" + "a" * 600),
    "/" + "a/" * 20 + "b",
    Long("/" + "b" * 129),
    ";x=1",
    "/~",
    "/ ",
    "/%20",
    "/\u202e",
    "/\U0001f4a5",
    "/..%2f",
    "/%u002e",
    "?",
]


PATH_REPLACEMENTS = [
    "/data//profile",
    "//data/profile",
    "/data/vendors/{A}/../../profile",
    "/data/vendors/{A}/%2e%2e/%2e%2e/profile",
    "/data/vendors/{A}/..%2f..%2fprofile",
    "/data/vendors/{A}/%2e%2e%2f%2e%2e%2fprofile",
    "/data/vendors/{A}//x",
    "/data/vendors/{A}/./x",
    "/data/vendors/{A}",
    "/data/vendors/{A}/x/../../{B}/",
    "/data/vendors/{B}/",
    "/data/vendors/{A}%2F..%2F{B}/",
    "/data/vendors/{A}/\x00/",
    "/data/vendors/{A}/%00/",
    "/data/vendors/{A}/é/",
    "/data/vendors/{A}/%ff/",
    "/data/vendors/",
    "/data/",
    "/data",
    "/DATA/profile",
    "/data/Profile",
    "/data/profile/",
    "/data/profile%2F",
    "/data/%70rofile",
    "/data/profile/..",
    "/app/../owner/tokens",
    "/owner/./tokens",
    "/owner//tokens",
    "/owner/tokens/",
    "/owner/access-requests/../grants",
    "/access-requests/%2e%2e",
    Long("/access-requests/" + "x" * 3000),
    "/grants/%00/return",
    "/grants/../owner/return",
    "/app/records/{A}/../../{B}/x",
    "/app/records/{A}/%2e%2e/%2e%2e/etc/passwd",
    "/app/records/{A}/" + "x/" * 40,
    "/app//settings",
    "/app/static/../../../../etc/passwd",
    "/app/static/%2e%2e/%2e%2e/app.py",
    "/static/..%2f..%2f",
    "/favicon.ico/..",
    "*",
    "",
    Long("/" + "x" * 9000),
    Long("/data/" + "a/" * 600),
]


# Other threads, and the ways to one (for A, or D, at its own thread): {thread} is A's thread,
# {offer_thread} the id of the thread about D's offer, {reply} and {offer} that offer's.
THREAD_PATHS = [
    "/threads/{offer_thread}",  # about an offer not accepted: not at the pod's address
    "/threads/{thread}",
    "/threads/{thread}/",
    "/threads/{thread}/x",
    "/threads/{thread}/..",
    "/threads/{thread}%2F..",
    "/threads/..%2F{thread}",
    "/threads//{thread}",
    "/threads/./{thread}",
    "/threads/%00",
    "/threads/" + "A" * 22,
    Long("/threads/" + "a" * 300),
    "/threads",
    "/threads/",
    "/replies/{reply}/offers/{offer}/thread",
    "/replies/{reply}/offers/{offer}/thread/",
    "/replies/{reply}/offers/{offer}/../{offer}/thread",
    "/replies/{reply}/offers/{offer_thread}/thread",
    "/replies/{reply}/offers/x/thread",
    "/replies/x/offers/{offer}/thread",
    "/replies/{reply}/offers/%2e%2e/thread",
    "/owner/threads/{thread}",
    "/app/messages/{thread}",
]


QUERY_KEYS = [
    "limit",
    "before",
    "since",
    "until",
    "status",
    "vendor",
    "actor",
    "action",
    "outcome",
    "resource",
    "grant",
    "next",
    "x",
    "",
    "%00",
    "limit[]",
]


NUMBER_QUERY = [
    "-1",
    "0",
    "1",
    "1000",
    "1001",
    "99999999999999999999",
    "9223372036854775808",
    "-9223372036854775809",
    "1.5",
    "1e3",
    "NaN",
    " 5",
    "0x10",
    "\u0661",
]


TIME_QUERY = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00-01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59+00:00",
    "2026-11-23T10:00:00",
    "2026-11-23T10:00:00+00:00",
    "2026-13-45T99:99:99+00:00",
    "2026-11-23",
]


TEXT_QUERY = [
    "pending",
    "approved",
    "allowed",
    "refused",
    "data.read",
    "owner",
    "%00",
    "a%00b",
    "%ff",
    "%C3%A9",
    "%zz",
    "%",
    "https://evil.example/",
    "//evil.example",
    "/app//evil.example",
    "/app/../owner",
    Long("x" * 3000),
]


QUERY_VALUES = NUMBER_QUERY + TIME_QUERY + TEXT_QUERY


TURTLE_GARBAGE = [
    "",
    "@prefix",
    '<#a> <#b> "unterminated .',
    "<#a> <#b> <#c>",
    '<#a> <#b> "x"^^<http://www.w3.org/2001/XMLSchema#dateTime> .',
    '<#a> <#b> "2026-13-45T99:00:00"^^<http://www.w3.org/2001/XMLSchema#dateTime> .',
    '<#a> <#b> "abc"^^<http://www.w3.org/2001/XMLSchema#integer> .',
    '<#a> <#b> "1e99999"^^<http://www.w3.org/2001/XMLSchema#double> .',
    Long('<#a> <#b> "' + "9" * 5000 + '"^^<http://www.w3.org/2001/XMLSchema#integer> .'),
    '<#a> <#b> "99999999999999999999"^^<http://www.w3.org/2001/XMLSchema#int> .',
    '<#a> <#b> "x"@x-123456789012345678901234567890 .',
    '<#a> <#b> "x"@ .',
    '<#a> <#b> "\\u0000" .',
    '<#a> <#b> "a\x00b" .',
    "<#a\\u0000> <#b> <#c> .",
    '<#a> <#b> "\\uD800" .',
    '<#a> <#b> "\\U0010FFFF" .',
    '<#a> <#b> "\\U00110000" .',
    "@base <http://evil.example/> . <a> <b> <c> .",
    "@prefix : <javascript:alert(1)> . :a :b :c .",
    Long("<#a> <#b> " + "[ <#p> " * 3000 + "1" + " ]" * 3000 + " ."),
    Long("<#a> <#b> " + "(" * 3000 + ")" * 3000 + " ."),
    "_:a <#b> _:a .",
    "<http://[> <#b> <#c> .",
    "<#a> <#b> <http://127.0.0.1:1/x> .",
    "<#me> a <https://schema.org/Person> ; <https://schema.org/birthDate> "
    '"not a date"^^<http://www.w3.org/2001/XMLSchema#date> .',
    "<#me> <https://schema.org/email> 5 .",
    "<> <http://www.w3.org/ns/ldp#contains> <../../profile> .",
    "<#a> <#b> true, false, 1.5e3, -0, .5 .",
    "\ufeff<#a> <#b> <#c> .",
    "@prefix schema: <https://schema.org/> . <#it> schema:name '''multi\nline''' .",
]


JSONLD_GARBAGE: list[Any] = [
    {"@context": "http://127.0.0.1:1/context.jsonld", "name": "x"},
    {"@context": "https://w3id.org/vrm-pod/context.jsonld", "name": "x"},
    {"@context": {"@import": "http://127.0.0.1:1/x"}},
    {"@context": [None, "https://w3id.org/vrm-pod/context.jsonld"]},
    {"@context": {"@vocab": "https://schema.org/"}, "name": {"@value": 1, "@type": "@json"}},
    {"@id": "", "@type": 5},
    {"@graph": [[[]]]},
    {"@id": "_:b", "http://x/p": {"@list": [{"@list": [1]}]}},
    {"@context": {"@version": 1.2}},
    {"@context": {"@protected": True, "a": "http://x/a"}, "a": 1},
    {"@id": "#x", "https://schema.org/name": {"@value": "x", "@language": "??"}},
    {"@id": "#x", "https://schema.org/name": {"@value": "x", "@direction": "sideways"}},
    {
        "@id": "#x",
        "https://schema.org/birthDate": {
            "@value": "x",
            "@type": "http://www.w3.org/2001/XMLSchema#date",
        },
    },
    {"@id": "#x", "@reverse": {"http://x/p": {"@id": "#y"}}},
    {"@id": "#x", "@included": [{"@id": "#y"}]},
    {"@id": "#x", "@nest": {"a": 1}},
    {"@id": "http://[", "http://x/p": 1},
    {"@id": "#x", "http://x/p": {"@value": Raw("1e999")}},
    {"@id": "#x", "http://x/p": Raw("1" + "0" * 400)},
    {"@id": "#x", "http://x/p": "\x00"},
    {"@id": "#x", "http://x/p": Raw('"\\ud800"')},
    {"@context": {"x": {"@id": "@type"}}, "x": "http://x/T"},
    {"@context": {"@base": "http://evil.example/"}, "@id": "a", "http://x/p": 1},
    [{"@id": "#a"}, 1, None, "x"],
    Raw("{" * 3000 + "}" * 3000),
    Raw('{"a":' * 100 + "{}" + "}" * 100),
    Raw("[" * 100 + "]" * 100),
]


SPARQL_GARBAGE = [
    "",
    "LOAD <http://127.0.0.1:1/x>",
    "CLEAR ALL",
    "DROP GRAPH <http://x/>",
    "CREATE GRAPH <http://x/g>",
    "INSERT DATA { GRAPH <http://x/g> { <#a> <#b> <#c> } }",
    "DELETE WHERE { ?s ?p ?o }",
    "INSERT { ?s ?p ?o } WHERE { ?s ?p ?o . ?a ?b ?c }",
    "INSERT DATA { <#me> <https://schema.org/birthDate> "
    '"x"^^<http://www.w3.org/2001/XMLSchema#date> }',
    'INSERT DATA { <#me> <https://schema.org/name> "\\u0000" }',
    "INSERT DATA { <#me> <https://schema.org/name> 1e999 }",
    "SELECT * WHERE { ?s ?p ?o }",
    "INSERT { <#a> <#b> ?x } WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?x ?y ?z } }",
    "INSERT { <#a> <#b> ?x } WHERE { BIND(IRI('http://[') AS ?x) }",
    "INSERT { <#a> <#b> ?x } WHERE { BIND(1/0 AS ?x) }",
    "INSERT { <#a> <#b> ?x } WHERE { "
    'BIND(STRDT("9", <http://www.w3.org/2001/XMLSchema#integer>) AS ?x) }',
    Long("INSERT DATA { <#a> <#b> <#c> } ; " * 200),
    "DELETE DATA { <#me> a <https://schema.org/Person> }",
    "WITH <http://x/> INSERT { <#a> <#b> <#c> } WHERE {}",
    "INSERT { <#a> <#b> ?o } WHERE { <#me> (<a>|<b>)* ?o }",
    "MOVE DEFAULT TO <http://x/>",
    "ADD <http://x/> TO DEFAULT",
    Long("INSERT DATA { " + "(" * 2000 + ")" * 2000 + " <#b> <#c> }"),
]


CONTENT_TYPES = [
    "text/turtle",
    "text/turtle; charset=latin-1",
    "text/turtle; charset=utf-16",
    "text/turtle;;;",
    "application/ld+json",
    "application/n-triples",
    "application/json",
    "application/jwt",
    "application/sparql-update",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=x",
    "text/html",
    "*/*",
    "",
    "text/turtle, application/json",
    "é/é",
    "application/trig",
    "application/rdf+xml",
    "text/n3",
]


FORM_KEYS = [
    "csrf_token",
    "count",
    "term-0-title",
    "term-0-text",
    "term-0-id",
    "term-0-required",
    "term-0-remove",
    "term-60-title",
    "duration",
    "decision",
    "scope-0",
    "scope-0-mode",
    "scope-0-field",
    "scope-99",
    "etag",
    "name",
    "password",
    "old_password",
    "new_password",
    "new_password_again",
    "setup_code",
    "next",
    "archive",
]


REQUEST_CLAIM_VALUES = {
    "aud": [None, "", "http://127.0.0.1:1", [], [None], ["x", 1], {"a": 1}],
    "iat": [None, "1", 1e999, -1, 10**30, True],
    "exp": [None, "1", -1, 10**30, 2**63, True],
    "nbf": [None, "x", 10**30, -(10**30)],
    "jti": [None, 1, "", "\ud800", "\x00", Long("x" * 5000), [], {}],
    "vendor": [
        None,
        "x",
        {},
        {"name": ""},
        {"name": "\ud800"},
        {"name": "a\x00b"},
        {"name": "x" * 201},
        {"name": "ok", "homepage": "http://["},
        {"name": "ok", "homepage": "javascript:alert(1)"},
        {"name": "ok", "homepage": 1},
        {"name": "ok", "contact": "\x00"},
        {"name": "ok", "contact": "\ud800"},
        {"name": 1},
        {"name": "ok", "verified": True},
    ],
    "scopes": [
        None,
        [],
        {},
        [None],
        [{"resource": "/profile", "modes": ["read"], "fields": [None]}],
        [{"resource": "/profile", "modes": ["append"]}],
        [{"resource": "/vendors/" + "W" * 43 + "/", "modes": ["append"]}],
        [{"resource": "/", "modes": ["read"]}],
        [{"resource": "/vendors/", "modes": ["read"]}],
        [{"resource": "/profile", "modes": [[]]}],
        [{"resource": "/profile", "modes": "read"}],
        [{"resource": "/profile"}] * 17,
        [{"resource": "/profile\x00"}],
        [{"resource": "/profile", "fields": ["https://schema.org/email\ud800"]}],
    ],
    "purpose": [
        None,
        "x",
        {"iri": "https://w3id.org/dpv#ServiceProvision"},
        {"iri": "https://w3id.org/dpv#ServiceProvision", "description": "\ud800"},
        {"iri": "https://w3id.org/dpv#ServiceProvision", "description": "\x00"},
        {"iri": ["x"], "description": "x"},
        {"iri": {"a": 1}, "description": "x"},
    ],
    "duration": [None, "86400", 86400.5, 59, 31622401, 10**30, -1, True, Raw("1e999"), Raw("NaN")],
    "terms": [None, "no-resale", [1], [None], [[]], [{}], ["x"] * 1000, ["\ud800"]],
    "callback": [
        "http://[",
        "https://[",
        "https://[::1]/x",
        "https://[fe80::1%25eth0]/x",
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://x.localhost/x",
        "https://user:pw@example.com/x",
        "https://example.com:99999/x",
        "https://example.com:abc/x",
        "https://224.0.0.1/x",
        "https://0x7f.1/x",
        "https://2130706433/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://\ud800.example/",
        "https://\x00.example/",
        Long("https://" + "a" * 2049),
        "ftp://example.com/",
        "",
        1,
        [],
    ],
}


OFFER_CLAIM_VALUES: dict[str, list[Any]] = {
    "aud": [None, "", "http://127.0.0.1:1/replies/x", ["x"], {}],
    "intent": [None, "", "urn:pds:intent:x", 1, []],
    "iat": [None, "1", -1, 10**30, True],
    "exp": [None, "1", -1, 10**30, 2**63],
    "jti": [None, 1, "", "short", "\ud800" * 8, "\x00" * 8, Long("x" * 129)],
    "vendor": [
        None,
        "x",
        {},
        {"name": "\ud800"},
        {"name": "a\x00b"},
        {"name": "ok", "homepage": "http://["},
    ],
    "offer": [
        None,
        "x",
        {},
        {"summary": "ok", "price": {"amount": "1", "currency": "GBP"}},
        {"summary": "ok", "price": {"amount": 1, "currency": "GBP"}, "valid_until": "2030-01-01"},
        {
            "summary": "ok",
            "price": {"amount": "1e3", "currency": "GBP"},
            "valid_until": "2030-01-01",
        },
        {"summary": "ok", "price": {"amount": "1", "currency": "gbp"}, "valid_until": "2030-01-01"},
        {"summary": "ok", "price": {"amount": "1", "currency": "GBP"}, "valid_until": "x"},
        {"summary": "ok", "price": {"amount": "1", "currency": "GBP"}, "valid_until": "2000-01-01"},
        {"summary": "ok", "price": {"amount": "1", "currency": "GBP"}, "valid_until": "9999-12-31"},
        {"summary": "ok", "price": {"amount": "1", "currency": "GBP"}, "valid_until": 20300101},
        {
            "summary": "a\x00b",
            "price": {"amount": "1", "currency": "GBP"},
            "valid_until": "2030-01-01",
        },
        {
            "summary": "\ud800",
            "price": {"amount": "1", "currency": "GBP"},
            "valid_until": "2030-01-01",
        },
        {
            "summary": "\x1b[31m",
            "price": {"amount": "1", "currency": "GBP"},
            "valid_until": "2030-01-01",
        },
        {
            "summary": Long("x" * 2001),
            "price": {"amount": "1", "currency": "GBP"},
            "valid_until": "2030-01-01",
        },
        {
            "summary": "ok",
            "price": {"amount": "1", "currency": "GBP"},
            "valid_until": "2030-01-01",
            "link": "http://[",
        },
        {
            "summary": "ok",
            "price": {"amount": "1", "currency": "GBP"},
            "valid_until": "2030-01-01",
            "link": "javascript:alert(1)",
        },
        {
            "summary": "ok",
            "price": {"amount": "1", "currency": "GBP"},
            "valid_until": "2030-01-01",
            "terms": [{}],
        },
        {
            "summary": "ok",
            "price": {"amount": "1", "currency": "GBP"},
            "valid_until": "2030-01-01",
            "terms": "x",
        },
        {"summary": "ok", "price": [], "valid_until": "2030-01-01"},
    ],
}
