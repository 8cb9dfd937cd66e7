"""The data API: RDF documents and containers under /data/, for the owner.

GET/HEAD negotiate Turtle, JSON-LD or N-Triples and honour If-None-Match (304). PUT, PATCH
(SPARQL Update) and DELETE honour If-Match / If-None-Match (412) and write nothing on error.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from pds.resources import TURTLE, Document, RDFSyntaxError, UnsupportedMediaType
from pds.resources.paths import DATA_PREFIX
from pds.server.auth import require_owner
from pds.server.http import entity_tags, negotiate, read_body
from pds.server.services import services

bp = Blueprint("data", __name__)

SPARQL_UPDATE = "application/sparql-update"
DOCUMENT_METHODS = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"
CONTAINER_METHODS = "GET, HEAD, DELETE, OPTIONS"


def _path() -> str:
    # request.path is already percent-decoded; check_path refuses what decoding revealed.
    return request.path[len(DATA_PREFIX) :] or "/"


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


def _representation(document: Document) -> Response:
    media_type = negotiate()
    if_none_match = entity_tags(request.headers.get("If-None-Match"))
    if if_none_match is not None and ("*" in if_none_match or document.etag in if_none_match):
        return _common_headers(Response(status=304), document.path, document.etag)
    svc = services()
    body = svc.documents.render(svc.pod, document, media_type)
    response = Response(body, mimetype=media_type)
    if media_type == TURTLE:
        response.headers["Content-Type"] = "text/turtle; charset=utf-8"
    return _common_headers(response, document.path, document.etag)


@bp.route(DATA_PREFIX + "/", methods=["GET", "HEAD"], strict_slashes=False)
@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["GET", "HEAD"])
def read(_subpath: str = ""):
    require_owner()
    svc = services()
    return _representation(svc.documents.read(svc.pod, _path()))


@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["PUT"])
def put(_subpath: str):
    require_owner()
    svc = services()
    path = _path()
    body = read_body()
    if_none_match = entity_tags(request.headers.get("If-None-Match"))
    etag, created = svc.documents.put(
        svc.pod,
        path,
        body,
        request.mimetype,
        if_match=entity_tags(request.headers.get("If-Match")),
        if_none_match=if_none_match is not None and "*" in if_none_match,
    )
    return _written(path, etag, created)


@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["PATCH"])
def patch(_subpath: str):
    require_owner()
    svc = services()
    path = _path()
    if request.mimetype != SPARQL_UPDATE:
        raise UnsupportedMediaType(request.mimetype, [SPARQL_UPDATE])
    body = read_body()
    try:
        update = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RDFSyntaxError("the SPARQL Update is not UTF-8") from None
    etag, created = svc.documents.patch(
        svc.pod, path, update, if_match=entity_tags(request.headers.get("If-Match"))
    )
    return _written(path, etag, created)


@bp.route(DATA_PREFIX + "/", methods=["DELETE"], strict_slashes=False)
@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["DELETE"])
def delete(_subpath: str = ""):
    require_owner()
    svc = services()
    svc.documents.delete(svc.pod, _path(), if_match=entity_tags(request.headers.get("If-Match")))
    return Response(status=204)


def _written(path: str, etag: str, created: bool) -> Response:
    response = Response(status=201 if created else 204)
    if created:
        response.headers["Location"] = DATA_PREFIX + path
    return _common_headers(response, path, etag)
