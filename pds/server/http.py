"""Request plumbing shared by the blueprints: bounded bodies, conditional headers, negotiation."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import current_app, request

from pds.resources import MEDIA_TYPES, TURTLE
from pds.server.current import current_pod
from pds.server.problems import Problem

JWT_MEDIA_TYPE = "application/jwt"


def public_url() -> str:
    """This request's URL as the vendor addressed it: the pod's base URL plus the path as sent.

    The raw path, percent-escapes and all, so a proof's `htu` is compared with what the client
    wrote (RFC 9449 normalises both sides) and `%2F` never matches `/`.
    """
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        path = quote(request.path, safe="/:@!$&'()*+,;=~")
    elif raw.startswith("/"):
        path = raw.split("?", 1)[0].split("#", 1)[0]
    else:  # absolute-form request target (RFC 9112 3.2.2)
        path = urlsplit(raw).path
    prefix = request.script_root  # a provider's pod at a path prefix: its base URL holds it
    if prefix and raw and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    return current_pod().base_url + path


def read_body() -> bytes:
    """The request body, refused with 413 past the configured limit.

    Flask's MAX_CONTENT_LENGTH only refuses bodies that declare a Content-Length; a chunked
    body is silently cut at the limit. Reading one byte past the limit catches both.
    """
    limit = current_app.config["PDS_MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise _too_large(limit)
    return body


def read_compact_jws(what: str, slug: str, limit: int | None = None) -> str:
    """A signed `what` ("access request", "offer", "message") sent as application/jwt, as
    text: 415 for another media type, 413 past `limit` bytes (or the body limit), 400 `slug`
    unless it is ASCII."""
    if request.mimetype != JWT_MEDIA_TYPE:
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"send the signed {what} as {JWT_MEDIA_TYPE}",
            headers={"Accept-Post": JWT_MEDIA_TYPE},
        )
    if limit is not None and request.content_length is not None and request.content_length > limit:
        raise Problem(413, "too-large", "Too large", f"a signed {what} is at most {limit} bytes")
    try:
        return read_body().decode("ascii").strip()
    except UnicodeDecodeError:
        article = "an" if what[0] in "aeiou" else "a"
        raise Problem(
            400,
            slug,
            slug.replace("-", " ").capitalize(),
            f"{article} {what} is a compact JWS (ASCII)",
        ) from None


def _too_large(limit: int) -> Problem:
    return Problem(
        413,
        "payload-too-large",
        "Payload too large",
        f"the body is larger than this pod accepts ({limit} bytes)",
    )


def read_json() -> dict:
    body = read_body()
    if request.mimetype != "application/json":
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "send this request as application/json",
            headers={"Accept-Post": "application/json"},
        )
    try:
        value = current_app.json.loads(body)
    except ValueError as exc:
        raise Problem(
            400, "malformed-json", "Malformed JSON", f"the body is not JSON: {exc}"
        ) from None
    except RecursionError:
        raise Problem(
            400, "malformed-json", "Malformed JSON", "the JSON is nested too deeply"
        ) from None
    if not isinstance(value, dict):
        raise Problem(400, "malformed-json", "Malformed JSON", "the body must be a JSON object")
    return value


def field(data: dict, name: str, kind: type = str, *, required: bool = True):
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise Problem(
            422,
            "invalid-input",
            "Invalid input",
            f"{name!r} must be a {kind.__name__}" + (" and is required" if required else ""),
        )
    return value


def entity_tags(header: str | None) -> frozenset[str] | None:
    """Parse If-Match / If-None-Match into bare ETags (`*` kept); None when absent."""
    if header is None:
        return None
    tags = set()
    for part in header.split(","):
        part = part.strip()
        if part == "*":
            tags.add("*")
        elif part.startswith('"') and part.endswith('"') and len(part) >= 2:
            tags.add(part[1:-1])
        elif part.startswith('W/"'):
            continue  # our ETags are strong; a weak tag never matches a write precondition
        elif part:
            raise Problem(
                400,
                "invalid-precondition",
                "Invalid precondition header",
                f'{part!r} is not an entity tag: quote it, as in "abc"',
            )
    return frozenset(tags)


def negotiate() -> str:
    """The RDF media type to answer with, from Accept; 406 when none of ours is acceptable."""
    if not request.headers.get("Accept"):
        return TURTLE
    best = request.accept_mimetypes.best_match(MEDIA_TYPES)
    if best is None:
        raise Problem(
            406,
            "not-acceptable",
            "Not acceptable",
            "this resource is available as " + ", ".join(MEDIA_TYPES),
        )
    return best
