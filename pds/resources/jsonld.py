"""JSON-LD without remote contexts.

rdflib loads any string `@context` it meets (over HTTP with no timeout, or as a local file), and
has no switch against it. So contexts are resolved here before rdflib sees the document: the
pod's own context IRI is replaced by the copy shipped with the code, inline contexts are kept,
and every other reference or `@import` is refused.
"""

from __future__ import annotations

from typing import Any

from pds import schemas
from pds.resources.errors import RemoteContextRefused


def localise(node: Any) -> Any:
    """A copy of a parsed JSON-LD document with every context made inline, or refuse."""
    if isinstance(node, list):
        return [localise(v) for v in node]
    if not isinstance(node, dict):
        return node
    if "@import" in node:
        raise RemoteContextRefused("@import is not allowed in a JSON-LD context")
    return {k: _context(v) if k == "@context" else localise(v) for k, v in node.items()}


def _context(value: Any) -> Any:
    if isinstance(value, list):
        return [_context(v) for v in value]
    if isinstance(value, str):
        if value == schemas.CONTEXT_IRI:
            return schemas.jsonld_context()["@context"]
        raise RemoteContextRefused(
            f"@context reference {value!r} is not allowed: put the context inline, or use "
            f"{schemas.CONTEXT_IRI}"
        )
    return localise(value)
