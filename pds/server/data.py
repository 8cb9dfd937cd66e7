"""The data API: RDF documents and containers under /data/, for the owner and for vendors.

GET/HEAD negotiate Turtle, JSON-LD or N-Triples and honour If-None-Match (304). PUT, PATCH
(SPARQL Update) and DELETE honour If-Match / If-None-Match (412) and write nothing on error.
A request with `Authorization: DPoP` is a vendor's, through its grant; any other is the owner's.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from pds.consent import VendorCall, Written
from pds.resources import TURTLE, RDFSyntaxError, Representation, document_etags
from pds.resources.paths import DATA_PREFIX
from pds.server.auth import require_owner
from pds.server.current import current_pod
from pds.server.http import entity_tags, negotiate, public_url, read_body
from pds.server.problems import Problem

bp = Blueprint("data", __name__)

SPARQL_UPDATE = "application/sparql-update"
DOCUMENT_METHODS = "GET, HEAD, PUT, PATCH, DELETE"
CONTAINER_METHODS = "GET, HEAD, POST, DELETE"


def _path() -> str:
    # request.path is already percent-decoded; the resources layer refuses what decoding revealed.
    return request.path[len(DATA_PREFIX) :] or "/"


def _vendor_call() -> VendorCall | None:
    """The vendor's request if it came with a grant (`DPoP`); else the owner's, checked here."""
    authorization = request.headers.get("Authorization", "")
    if authorization[:5].lower() != "dpop ":
        require_owner()
        return None
    return VendorCall(
        authorization=authorization,
        proof=request.headers.get("DPoP"),
        method=request.method,
        url=public_url(),
        path=_path(),
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
@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["GET", "HEAD"])
def read(_subpath: str = ""):
    call = _vendor_call()
    pod = current_pod()
    if call is not None:
        admitted = pod.vendor_data.admit_read(call)  # audited before anything else can refuse
        return _answer(pod.vendor_data.represent(admitted, negotiate()))
    return _answer(pod.data.represent(_path(), negotiate()))


@bp.route(DATA_PREFIX + "/", methods=["POST"], strict_slashes=False)
@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["POST"])
def append(_subpath: str = ""):
    """Add a new document to a container; vendors need `append` on it (their own container)."""
    call = _vendor_call()
    body, slug = read_body(), request.headers.get("Slug")
    pod = current_pod()
    if call is not None:
        appended = pod.vendor_data.append(call, body, request.mimetype, slug)
        location = pod.base_url + DATA_PREFIX + appended.path
        return _written(appended.path, appended.etag, created=True, location=location)
    written = pod.data.create_in(_path(), body, request.mimetype, slug)
    return _owner_wrote(written)


@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["PUT"])
def put(_subpath: str):
    _owner_only()
    body = read_body()
    if_none_match = entity_tags(request.headers.get("If-None-Match"))
    written = current_pod().data.put(
        _path(),
        body,
        request.mimetype,
        if_match=document_etags(entity_tags(request.headers.get("If-Match"))),
        if_none_match=if_none_match is not None and "*" in if_none_match,
    )
    return _owner_wrote(written)


@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["PATCH"])
def patch(_subpath: str):
    _owner_only()
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
        _path(), update, if_match=document_etags(entity_tags(request.headers.get("If-Match")))
    )
    return _owner_wrote(written)


@bp.route(DATA_PREFIX + "/", methods=["DELETE"], strict_slashes=False)
@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["DELETE"])
def delete(_subpath: str = ""):
    _owner_only()
    if_match = document_etags(entity_tags(request.headers.get("If-Match")))
    current_pod().data.delete(_path(), if_match=if_match)
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
