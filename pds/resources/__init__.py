"""RDF documents: paths, parsing and serializing, SHACL validation, SPARQL Update, storage.

``Documents`` is the entry point; it knows nothing about grants or HTTP.
"""

from pds.resources.documents import ANY, Documents
from pds.resources.errors import (
    ContainerNotEmpty,
    ETagMismatch,
    IllTypedLiteral,
    InvalidPath,
    NotADocument,
    QuotaExceeded,
    RDFSyntaxError,
    RemoteContextRefused,
    ResourceError,
    ResourceExists,
    ResourceNotFound,
    ShapeViolation,
    UnsupportedMediaType,
    UpdateRefused,
    WriteContention,
)
from pds.resources.model import Change, Document, PodRef, Representation, document_etags
from pds.resources.rdf import JSON_LD, MEDIA_TYPES, N_TRIPLES, TURTLE

__all__ = [
    "ANY",
    "JSON_LD",
    "MEDIA_TYPES",
    "N_TRIPLES",
    "TURTLE",
    "Change",
    "ContainerNotEmpty",
    "Document",
    "Documents",
    "ETagMismatch",
    "IllTypedLiteral",
    "InvalidPath",
    "NotADocument",
    "PodRef",
    "QuotaExceeded",
    "RDFSyntaxError",
    "RemoteContextRefused",
    "Representation",
    "ResourceError",
    "ResourceExists",
    "ResourceNotFound",
    "ShapeViolation",
    "UnsupportedMediaType",
    "UpdateRefused",
    "WriteContention",
    "document_etags",
]
