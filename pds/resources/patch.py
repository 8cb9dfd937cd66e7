"""SPARQL Update on one document, restricted to what cannot reach outside it.

Only INSERT DATA, DELETE DATA, DELETE WHERE and DELETE/INSERT ... WHERE on the document's own
default graph are allowed. LOAD, CLEAR, DROP, named graphs (GRAPH, WITH, USING) and SERVICE are
refused after parsing and before anything is evaluated: they would read files, fetch URLs or
touch data outside the document.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from rdflib import Graph

from pds.resources.errors import RDFSyntaxError, UpdateRefused

if TYPE_CHECKING:
    from rdflib.plugins.sparql.parserutils import CompValue

ALLOWED_OPERATIONS = {"InsertData", "DeleteData", "DeleteWhere", "Modify"}
_FORBIDDEN_PATTERNS = {"ServiceGraphPattern", "GraphGraphPattern", "Graph"}

# rdflib's SPARQL parser is not thread-safe (rdflib issue #1282): a concurrent parse can corrupt
# it for the life of the process.
_SPARQL_LOCK = threading.Lock()


def apply_update(graph: Graph, text: str, base: str) -> None:
    """Apply the SPARQL Update `text` to `graph` in place (the caller works on a copy)."""
    # Imported here: rdflib's SPARQL engine costs each worker ~6 MB, and only owners patch.
    from pyparsing import ParseException
    from rdflib.plugins.sparql import prepareUpdate

    with _SPARQL_LOCK:
        try:
            update = prepareUpdate(text, base=base)
        except ParseException as exc:
            raise RDFSyntaxError(f"invalid SPARQL Update: {exc.msg}", exc.lineno, exc.col) from None
        except Exception as exc:  # rdflib raises bare Exceptions for e.g. unknown prefixes
            raise RDFSyntaxError(f"invalid SPARQL Update: {exc}") from None
        for operation in update.algebra:
            _check(operation)
        graph.update(update)


def _check(operation: CompValue) -> None:
    if operation.name not in ALLOWED_OPERATIONS:
        raise UpdateRefused(
            f"{_words(operation.name)} is not allowed: use INSERT DATA, DELETE DATA, DELETE WHERE "
            "or DELETE/INSERT ... WHERE"
        )
    for node in _nodes(operation):
        fields = dict(node)  # CompValue.get() returns the key itself when it is absent
        if fields.get("quads") or fields.get("withClause") or fields.get("using"):
            raise UpdateRefused("named graphs (GRAPH, WITH, USING) are not allowed in a PATCH")
        if node.name in _FORBIDDEN_PATTERNS:
            raise UpdateRefused(f"{_words(node.name)} is not allowed in a PATCH")


def _nodes(value):
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(value, CompValue):
        yield value
        for child in value.values():
            yield from _nodes(child)
    elif isinstance(value, list | tuple):
        for child in value:
            yield from _nodes(child)


def _words(name: str) -> str:
    return {"ServiceGraphPattern": "SERVICE", "GraphGraphPattern": "GRAPH", "Graph": "GRAPH"}.get(
        name, name.upper()
    )
