"""The data API: RDF documents and containers under /data/, for the owner.

GET/HEAD negotiate Turtle, JSON-LD or N-Triples and honour If-None-Match (304). PUT, PATCH
(SPARQL Update) and DELETE honour If-Match / If-None-Match (412) and write nothing on error.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from pds.consent.access import VendorAccess
from pds.consent.scopes import APPEND, READ
from pds.resources import (
    JSON_LD,
    N_TRIPLES,
    TURTLE,
    Document,
    RDFSyntaxError,
)
from pds.resources.documents import etag_of
from pds.resources.paths import DATA_PREFIX
from pds.server.auth import require_owner
from pds.server.changes import document_changed, snapshot
from pds.server.grants_api import public_url
from pds.server.http import entity_tags, negotiate, read_body
from pds.server.problems import Problem
from pds.server.services import services

bp = Blueprint("data", __name__)

SPARQL_UPDATE = "application/sparql-update"
_ETAG_SUFFIX = {JSON_LD: "-jsonld", N_TRIPLES: "-nt"}
WRITE = "write"  # no grant mode allows it: vendors only read, or append new documents
DOCUMENT_METHODS = "GET, HEAD, PUT, PATCH, DELETE"
CONTAINER_METHODS = "GET, HEAD, POST, DELETE"


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


def _caller(mode: str) -> VendorAccess | None:
    """None for the owner; for a vendor, what its grant allows here (or an error, audited)."""
    authorization = request.headers.get("Authorization", "")
    if authorization[:5].lower() != "dpop ":
        require_owner()
        return None
    return services().consent.access.authorize(
        authorization=authorization,
        proof=request.headers.get("DPoP"),
        method=request.method,
        url=public_url(),
        # Not checked as a path first: a vendor's odd path is simply outside its grant, refused
        # and audited as such, revealing nothing about what exists.
        path=_path(),
        mode=mode,
    )


def _representation(document: Document, vendor: VendorAccess | None) -> Response:
    media_type = negotiate()
    svc = services()
    fields = vendor.scope.fields if vendor else None
    body = svc.documents.render(svc.pod, document, media_type, fields)
    if fields is not None:
        # A field-limited view is its own representation: its ETag must not follow other fields.
        etag = etag_of(body.decode())
    else:
        # Strong ETags differ per representation (RFC 9110 8.8.3); Turtle is the stored form.
        etag = document.etag + _ETAG_SUFFIX.get(media_type, "")
    if_none_match = entity_tags(request.headers.get("If-None-Match"))
    if if_none_match is not None and ("*" in if_none_match or etag in if_none_match):
        return _common_headers(Response(status=304), document.path, etag)
    response = Response(body, mimetype=media_type)
    if media_type == TURTLE:
        response.headers["Content-Type"] = "text/turtle; charset=utf-8"
    return _common_headers(response, document.path, etag)


@bp.route(DATA_PREFIX + "/", methods=["GET", "HEAD"], strict_slashes=False)
@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["GET", "HEAD"])
def read(_subpath: str = ""):
    vendor = _caller(READ)
    svc = services()
    return _representation(svc.documents.read(svc.pod, _path()), vendor)


@bp.route(DATA_PREFIX + "/", methods=["POST"], strict_slashes=False)
@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["POST"])
def append(_subpath: str = ""):
    """Add a new document to a container; vendors need `append` on it (their own container)."""
    vendor = _caller(APPEND)
    svc = services()
    path, etag = svc.documents.create_in(
        svc.pod, _path(), read_body(), request.mimetype, request.headers.get("Slug")
    )
    document_changed(path, None, by_vendor=vendor.vendor_id if vendor else None)
    return _written(path, etag, created=True)


@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["PUT"])
def put(_subpath: str):
    _caller(WRITE)
    svc = services()
    path = _path()
    body = read_body()
    before = snapshot(path)
    if_none_match = entity_tags(request.headers.get("If-None-Match"))
    etag, created = svc.documents.put(
        svc.pod,
        path,
        body,
        request.mimetype,
        if_match=_document_tags(request.headers.get("If-Match")),
        if_none_match=if_none_match is not None and "*" in if_none_match,
    )
    document_changed(path, before)
    return _written(path, etag, created)


@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["PATCH"])
def patch(_subpath: str):
    _caller(WRITE)
    svc = services()
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
    before = snapshot(path)
    etag, created = svc.documents.patch(
        svc.pod, path, update, if_match=_document_tags(request.headers.get("If-Match"))
    )
    document_changed(path, before)
    return _written(path, etag, created)


@bp.route(DATA_PREFIX + "/", methods=["DELETE"], strict_slashes=False)
@bp.route(DATA_PREFIX + "/<path:_subpath>", methods=["DELETE"])
def delete(_subpath: str = ""):
    _caller(WRITE)
    svc = services()
    path = _path()
    before = snapshot(path) if not path.endswith("/") else None
    svc.documents.delete(svc.pod, path, if_match=_document_tags(request.headers.get("If-Match")))
    if before is not None:
        document_changed(path, before)
    return Response(status=204)


def _document_tags(header: str | None) -> frozenset[str] | None:
    """If-Match tags as document versions: any representation's ETag names its document."""
    tags = entity_tags(header)
    if tags is None:
        return None
    out = set()
    for tag in tags:
        for suffix in _ETAG_SUFFIX.values():
            tag = tag.removesuffix(suffix)
        out.add(tag)
    return frozenset(out)


def _written(path: str, etag: str, created: bool) -> Response:
    response = Response(status=201 if created else 204)
    if created:
        response.headers["Location"] = services().pod.base_url + DATA_PREFIX + path
    return _common_headers(response, path, etag)
