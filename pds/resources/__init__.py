"""RDF documents: paths, parsing and serializing, SHACL validation, SPARQL Update, storage.

``Documents`` is the entry point; it knows nothing about grants or HTTP.
"""

from pds.resources.documents import ANY, Document, Documents, PodRef
from pds.resources.errors import (
    ContainerNotEmpty,
    ETagMismatch,
    InvalidPath,
    NotADocument,
    RDFSyntaxError,
    RemoteContextRefused,
    ResourceError,
    ResourceExists,
    ResourceNotFound,
    ShapeViolation,
    UnsupportedMediaType,
    UpdateRefused,
)
from pds.resources.rdf import JSON_LD, MEDIA_TYPES, N_TRIPLES, TURTLE

__all__ = [
    "ANY",
    "JSON_LD",
    "MEDIA_TYPES",
    "N_TRIPLES",
    "TURTLE",
    "ContainerNotEmpty",
    "Document",
    "Documents",
    "ETagMismatch",
    "InvalidPath",
    "NotADocument",
    "PodRef",
    "RDFSyntaxError",
    "RemoteContextRefused",
    "ResourceError",
    "ResourceExists",
    "ResourceNotFound",
    "ShapeViolation",
    "UnsupportedMediaType",
    "UpdateRefused",
]
