"""Resource paths: the only names the pod accepts, so nothing can climb out or alias another.

A path is `/` followed by segments of letters, digits and `._~-`, none starting with a dot,
separated by single slashes. A trailing slash names a container (a prefix of other paths).
Percent-escapes are never decoded here: `%2e%2e` arrives decoded from the WSGI layer as `..`
and is refused; a double-encoded `%252e` arrives as `%2e` and is refused for its `%`.
"""

from __future__ import annotations

import re

from pds.resources.errors import InvalidPath

MAX_LENGTH = 512
MAX_DEPTH = 16
_SEGMENT = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,127}")


def check_path(path: str) -> str:
    """Return `path` unchanged if it is a valid resource or container path, else InvalidPath."""
    if not path.startswith("/"):
        raise InvalidPath("a resource path starts with '/'")
    if len(path) > MAX_LENGTH:
        raise InvalidPath(f"a resource path is at most {MAX_LENGTH} characters")
    if path == "/":
        return path
    segments = path[1:-1].split("/") if path.endswith("/") else path[1:].split("/")
    if len(segments) > MAX_DEPTH:
        raise InvalidPath(f"a resource path has at most {MAX_DEPTH} segments")
    for segment in segments:
        if not segment:
            raise InvalidPath("a resource path has no empty segments: '//' names nothing")
        if any(c < " " or c == "\x7f" for c in segment):
            raise InvalidPath("a resource path holds no control characters, such as %00")
        if not _SEGMENT.fullmatch(segment):
            raise InvalidPath(
                f"invalid path segment {segment!r}: use letters, digits and ._~- "
                "(not starting with a dot), separated by single slashes"
            )
    return path


def is_container(path: str) -> bool:
    return path.endswith("/")


DATA_PREFIX = "/data"
"""Where resources live in the pod's URL space: path `/profile` is `<base_url>/data/profile`."""


def resource_iri(base_url: str, path: str) -> str:
    return f"{base_url}{DATA_PREFIX}{path}"
