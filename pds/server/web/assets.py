"""The page's static files: addressed by a hash of their content, cached for a year, gzipped.

A page links `pod.css?v=<hash>`; when the file changes, so does its address, so a browser may
keep what it has without asking again. A request for another version (or none) is still
answered, with an ETag to revalidate against. The files are few and small: they are read, hashed
and compressed once per process.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import mimetypes
from functools import cache
from pathlib import Path

from flask import Response, abort, request, url_for

FOLDER = Path(__file__).parent / "static"
YEAR = 365 * 86400
_COMPRESSIBLE = ("text/", "application/javascript", "image/svg+xml")


@dataclasses.dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None  # None when compressing does not pay
    version: str  # a hash of the content
    mimetype: str


@cache
def asset(name: str) -> Asset | None:
    """The file `name` of the static folder, or None if there is none (no path tricks)."""
    path = (FOLDER / name).resolve()
    if path.parent != FOLDER.resolve() or not path.is_file():
        return None
    body = path.read_bytes()
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    gzipped = gzip.compress(body, 9, mtime=0) if mimetype.startswith(_COMPRESSIBLE) else None
    if gzipped is not None and len(gzipped) >= len(body):
        gzipped = None
    version = hashlib.sha256(body).hexdigest()[:16]
    return Asset(body, gzipped, version, mimetype)


def asset_url(name: str) -> str:
    """The address of a static file, with its version: what templates link to."""
    found = asset(name)
    return url_for("web.static", filename=name, v=found.version if found else None)


def serve(name: str) -> Response:
    found = asset(name)
    if found is None:
        abort(404)
    gzip_ok = found.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", "")
    body = found.gzipped if gzip_ok and found.gzipped is not None else found.body
    response = Response(body, mimetype=found.mimetype)
    response.set_etag(found.version + ("-gz" if gzip_ok else ""))
    response.vary.add("Accept-Encoding")
    if gzip_ok:
        response.content_encoding = "gzip"
    if request.args.get("v") == found.version:
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    else:  # an old or unversioned address: keep it, but ask again each time
        response.cache_control.no_cache = True
    response.make_conditional(request)  # a 304 when the browser has this version
    return response
