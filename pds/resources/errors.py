"""Errors about RDF documents; the server maps each to an RFC 9457 problem."""

from __future__ import annotations

from typing import Any


class ResourceError(Exception):
    """Base class: `str(error)` is a sentence a client can show as it is."""


class InvalidPath(ResourceError):
    pass


class ResourceNotFound(ResourceError):
    pass


class ResourceExists(ResourceError):
    """If-None-Match: * was given and something is already there."""


class ETagMismatch(ResourceError):
    """If-Match named a version that is no longer current."""


class WriteContention(ResourceError):
    """A write without a precondition kept losing to concurrent writers: try again shortly."""

    retry_after = 1  # seconds


class QuotaExceeded(ResourceError):
    """The write would take the pod's documents beyond its storage quota: nothing was written."""


class NotADocument(ResourceError):
    """The path names a container: containers are listed, not written."""


class ContainerNotEmpty(ResourceError):
    pass


class UnsupportedMediaType(ResourceError):
    def __init__(self, media_type: str, supported: list[str]):
        super().__init__(
            f"cannot read {media_type or 'a body without a Content-Type'}; send one of: "
            + ", ".join(supported)
        )
        self.supported = supported


class RDFSyntaxError(ResourceError):
    """The body is not valid in the format it claims; line/column are 1-based where known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        where = f" at line {line}" + (f", column {column}" if column else "") if line else ""
        super().__init__(f"malformed RDF{where}: {message}")
        self.line = line
        self.column = column


class RemoteContextRefused(RDFSyntaxError):
    """A JSON-LD document referenced a context the pod will not fetch."""


class UpdateRefused(ResourceError):
    """A SPARQL Update uses an operation the pod does not allow."""


class ShapeViolation(ResourceError):
    """The document does not conform to the SHACL shape of its path."""

    def __init__(self, violations: list[dict[str, Any]]):
        first = violations[0]["message"] if violations else "does not conform"
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        super().__init__(f"the data is not valid: {first}{more}")
        self.violations = violations


class IllTypedLiteral(ShapeViolation):
    """A literal's lexical form is not one its datatype allows (`"abc"^^xsd:integer`).

    Refused rather than stored: the pod keeps literals as written, so it will not guess.
    """
