"""The data API: RDF documents and containers under /data/, for the owner and for vendors.

GET/HEAD negotiate Turtle, JSON-LD or N-Triples and honour If-None-Match (304). PUT, PATCH
(SPARQL Update) and DELETE honour If-Match / If-None-Match (412) and write nothing on error.
A request with `Authorization: DPoP` is a vendor's, through its grant; any other is the owner's.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import PathConverter

from pds.consent import VendorCall, Written
from pds.resources import TURTLE, InvalidPath, RDFSyntaxError, Representation, document_etags
from pds.resources.paths import DATA_PREFIX
from pds.server.auth import require_owner
from pds.server.current import current_pod
from pds.server.http import entity_tags, negotiate, public_url, read_body
from pds.server.problems import Problem


class _AnyPath(PathConverter):
    """The rest of the URL path, empty segments included: `/data//x` reaches the data API and
    is refused there as an invalid path, like `/data/x//y`, rather than matching nothing."""

    regex = ".+"
    part_isolating = False


bp = Blueprint("data", __name__)


@bp.record_once
def _register_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["anypath"] = _AnyPath


SPARQL_UPDATE = "application/sparql-update"
DOCUMENT_METHODS = "GET, HEAD, PUT, PATCH, DELETE"
CONTAINER_METHODS = "GET, HEAD, POST, DELETE"


def _path() -> str:
    """The resource path the request names; InvalidPath if its request target names none."""
    path, problem = _target()
    if problem is not None:
        raise InvalidPath(problem)
    return path


def _target() -> tuple[str, str | None]:
    """The resource path the request names, and why it names none (None: it may).

    request.path is percent-decoded (§1.3: `%2F` is `/`, `%70` is `p`) and may have lost a
    fragment, so the target as sent is looked at too: a fragment is never part of a request
    target (RFC 9112 §3.2), and `/data/profile#me` must not read or write `/profile`. The
    path returned then keeps the fragment, so no grant covers it. The rest (`//`, `..`,
    `%00`...) the resources layer refuses on the decoded path.
    """
    path = request.path[len(DATA_PREFIX) :] or "/"
    sent = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    _before, hash_sign, fragment = sent.partition("#")
    if hash_sign:  # some servers keep it in the path too, some drop it: say it once
        return (
            path.partition("#")[0] + "#" + fragment,
            f"the request target has a fragment (#{fragment}): fragments stay with the client "
            "and are never sent to a server",
        )
    return path, None


def _vendor_call() -> VendorCall | None:
    """The vendor's request if it came with a grant (`DPoP`); else the owner's, checked here."""
    authorization = request.headers.get("Authorization", "")
    # The scheme alone decides (`Authorization: DPoP` with no token is a vendor's, refused as
    # one with a DPoP challenge, not taken for the owner's).
    if (authorization.split(None, 1) or [""])[0].lower() != "dpop":
        require_owner()
        return None
    return VendorCall(
        authorization=authorization,
        proof=request.headers.get("DPoP"),
        method=request.method,
        url=public_url(),
        path=_target()[0],  # an invalid path is outside every grant: refused as out of scope
    )


def _common_headers(response: Response, document_path: str, etag: str | None) -> Response:
    container = document_path.endswith("/")
    if etag:
        response.set_etag(etag)
    response.headers["Allow"] = CONTAINER_METHODS if container else DOCUMENT_METHODS
    response.headers["Vary"] = "Accept, Authorization"
    response.headers["Cache-Control"] = "private, no-cache"
    kind = "BasicContainer" if container else "RDFSource"
    response.headers["Link"] = f'<http://www.w3.org/ns/ldp#{kind}>; rel="type"'
    if not container:
        response.headers["Accept-Patch"] = SPARQL_UPDATE
        response.headers["Accept-Put"] = "text/turtle, application/ld+json, application/n-triples"
    return response


def _answer(representation: Representation) -> Response:
    if_none_match = entity_tags(request.headers.get("If-None-Match"))
    if if_none_match is not None and ("*" in if_none_match or representation.etag in if_none_match):
        return _common_headers(Response(status=304), representation.path, representation.etag)
    response = Response(representation.body, mimetype=representation.media_type)
    if representation.media_type == TURTLE:
        response.headers["Content-Type"] = "text/turtle; charset=utf-8"
    return _common_headers(response, representation.path, representation.etag)


@bp.route(DATA_PREFIX + "/", methods=["GET", "HEAD"], strict_slashes=False)
@bp.route(DATA_PREFIX + "/<anypath:_subpath>", methods=["GET", "HEAD"])
def read(_subpath: str = ""):
    call = _vendor_call()
    pod = current_pod()
    if call is not None:
        admitted = pod.vendor_data.admit_read(call)  # audited before anything else can refuse
        return _answer(pod.vendor_data.represent(admitted, negotiate()))
    return _answer(pod.data.represent(_path(), negotiate()))


@bp.route(DATA_PREFIX + "/", methods=["POST"], strict_slashes=False)
@bp.route(DATA_PREFIX + "/<anypath:_subpath>", methods=["POST"])
def append(_subpath: str = ""):
    """Add a new document to a container; vendors need `append` on it (their own container)."""
    call = _vendor_call()
    pod, slug = current_pod(), request.headers.get("Slug")
    if call is not None:
        appended = pod.vendor_data.append(call, read_body(), request.mimetype, slug)
        location = pod.base_url + DATA_PREFIX + appended.path
        return _written(appended.path, appended.etag, created=True, location=location)
    path = _path()
    written = pod.data.create_in(path, read_body(), request.mimetype, slug)
    return _owner_wrote(written)


@bp.route(DATA_PREFIX + "/<anypath:_subpath>", methods=["PUT"])
def put(_subpath: str):
    _owner_only()
    path = _path()
    body = read_body()
    if_none_match = entity_tags(request.headers.get("If-None-Match"))
    written = current_pod().data.put(
        path,
        body,
        request.mimetype,
        if_match=document_etags(entity_tags(request.headers.get("If-Match"))),
        if_none_match=if_none_match is not None and "*" in if_none_match,
    )
    return _owner_wrote(written)


@bp.route(DATA_PREFIX + "/<anypath:_subpath>", methods=["PATCH"])
def patch(_subpath: str):
    _owner_only()
    path = _path()
    if request.mimetype != SPARQL_UPDATE:
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"PATCH takes {SPARQL_UPDATE}",
            headers={"Accept-Patch": SPARQL_UPDATE},
        )
    body = read_body()
    try:
        update = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RDFSyntaxError("the SPARQL Update is not UTF-8") from None
    written = current_pod().data.patch(
        path, update, if_match=document_etags(entity_tags(request.headers.get("If-Match")))
    )
    return _owner_wrote(written)


@bp.route(DATA_PREFIX + "/", methods=["DELETE"], strict_slashes=False)
@bp.route(DATA_PREFIX + "/<anypath:_subpath>", methods=["DELETE"])
def delete(_subpath: str = ""):
    _owner_only()
    path = _path()
    if_match = document_etags(entity_tags(request.headers.get("If-Match")))
    current_pod().data.delete(path, if_match=if_match)
    return Response(status=204)


def _owner_only() -> None:
    """Only the owner changes documents; a vendor's attempt is checked, refused and audited."""
    call = _vendor_call()
    if call is not None:
        current_pod().vendor_data.refuse_write(call)


def _owner_wrote(written: Written) -> Response:
    return _written(written.path, written.etag, written.created, written.location)


def _written(path: str, etag: str, created: bool, location: str) -> Response:
    response = Response(status=201 if created else 204)
    if created:
        response.headers["Location"] = location
    return _common_headers(response, path, etag)
