"""Writing JSON-LD: compacted with the pod's context, inline, and the same graph as the Turtle.

Every node is one object of a flat `@graph`, in the order the Turtle writer uses, with keys
and values sorted, so the same graph always gives the same bytes. A value takes the context's
term for its predicate when the term's type coercion fits it (`"birthDate": "1990-04-23"`),
else the predicate's compact IRI (`"schema:birthDate": {...}`).

Literals keep their lexical form. A JSON-LD processor turns a JSON number or boolean into a
literal of its own making (JSON-LD 1.1 §8.6: `1000.0` is the integer `"1000"`, `1.5` the
double `"1.5E0"`), so only `"true"`/`"false"` booleans and canonical integers a JavaScript
number holds exactly are written natively; any other typed literal is a value object,
`{"@value": "1.0E3", "@type": "xsd:double"}`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from functools import cache
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from pds import schemas
from pds.resources.terms import Statements, blank_labels

_CANONICAL_INTEGER = re.compile(r"0|-?[1-9][0-9]{0,15}")
_EXACT_IN_JAVASCRIPT = 2**53
_LOCAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.~-]*")
_SUPPORTED = {"@id", "@type", "@container"}


@dataclasses.dataclass(frozen=True)
class _Term:
    name: str
    iri: str
    coerce: str | None  # "@id", "@vocab", a datatype IRI, or None
    is_set: bool


@dataclasses.dataclass(frozen=True)
class _Context:
    inline: dict[str, Any]
    terms: dict[str, tuple[_Term, ...]]  # by IRI, by name
    prefixes: tuple[tuple[str, str], ...]  # longest namespace first
    vocabulary: dict[str, str]  # IRI -> the term that stands for it as a type or @vocab value


@cache
def _context() -> _Context:
    inline = schemas.jsonld_context()["@context"]
    prefixes = {
        name: value
        for name, value in inline.items()
        if isinstance(value, str) and not name.startswith("@") and value.endswith(("/", "#"))
    }

    def expand(value: str) -> str:
        prefix, colon, local = value.partition(":")
        return prefixes[prefix] + local if colon and prefix in prefixes else value

    terms: dict[str, list[_Term]] = {}
    vocabulary: dict[str, str] = {}
    for name, definition in sorted(inline.items()):
        if name.startswith("@") or name in prefixes:
            continue
        if isinstance(definition, str):
            definition = {"@id": definition}
        if not isinstance(definition, dict) or set(definition) - _SUPPORTED:
            continue  # no term of the pod's context needs more; others are left unused
        iri = expand(definition.get("@id", ""))
        if not iri or iri.startswith("@"):
            continue  # a keyword alias (`id`, `type`)
        coerce = definition.get("@type")
        if coerce not in (None, "@id", "@vocab"):
            coerce = expand(coerce)
        is_set = definition.get("@container") == "@set"
        terms.setdefault(iri, []).append(_Term(name, iri, coerce, is_set))
        vocabulary.setdefault(iri, name)
    return _Context(
        inline=inline,
        terms={iri: tuple(found) for iri, found in terms.items()},
        prefixes=tuple(sorted(prefixes.items(), key=lambda item: -len(item[1]))),
        vocabulary=vocabulary,
    )


def context_prefixes() -> frozenset[str]:
    """The names the pod's context defines as prefixes: `schema`, `pds`, `xsd`..."""
    return frozenset(prefix for prefix, _namespace in _context().prefixes)


def write_jsonld(graph: Graph) -> str:
    ctx = _context()
    st = Statements(graph)
    labels = blank_labels(st.blank_nodes)
    writer = _Writer(ctx, labels)
    nodes = [writer.node(subject, st.properties[subject]) for subject in st.subjects]
    document = {"@context": ctx.inline, "@graph": nodes}
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)


class _Writer:
    def __init__(self, ctx: _Context, labels: dict[BNode, str]):
        self.ctx = ctx
        self.labels = labels

    def node(self, subject: Node, properties: list[tuple[URIRef, list[Node]]]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.identifier(subject)}
        for predicate, objects in properties:
            grouped: dict[str, tuple[bool, list[Any]]] = {}
            for value in objects:
                key, is_set, written = self.property(predicate, value)
                grouped.setdefault(key, (is_set, []))[1].append(written)
            for key, (is_set, values) in grouped.items():
                out[key] = values if is_set or len(values) > 1 else values[0]
        return out

    def property(self, predicate: URIRef, value: Node) -> tuple[str, bool, Any]:
        """(key, always an array?, the value as written under that key)."""
        if predicate == RDF.type and isinstance(value, URIRef | BNode):
            return "type", False, self.vocabulary_iri(value)
        for term in self.ctx.terms.get(str(predicate), ()):
            written = self.coerced(term, value)
            if written is not None:
                return term.name, term.is_set, written
        return self.compact_iri(str(predicate)), False, self.value(value)

    def coerced(self, term: _Term, value: Node) -> Any:
        """`value` as `term` writes it, or None when the term's type coercion does not fit."""
        if term.coerce is None:
            return self.value(value)
        if isinstance(value, URIRef | BNode):
            if term.coerce == "@id":
                return self.identifier(value)
            if term.coerce == "@vocab":
                return self.vocabulary_iri(value)
            return None
        if isinstance(value, Literal) and not value.language and str(value.datatype) == term.coerce:
            return str(value)
        return None

    def value(self, value: Node) -> Any:
        """`value` under a key without type coercion."""
        if isinstance(value, URIRef | BNode):
            return {"id": self.identifier(value)}
        assert isinstance(value, Literal)
        lexical = str(value)
        if value.language:
            return {"@value": lexical, "@language": value.language}
        if value.datatype is None:
            return lexical
        if value.datatype == XSD.boolean and lexical in ("true", "false"):
            return lexical == "true"
        if (
            value.datatype == XSD.integer
            and _CANONICAL_INTEGER.fullmatch(lexical)
            and abs(int(lexical)) < _EXACT_IN_JAVASCRIPT
        ):
            return int(lexical)
        return {"@value": lexical, "@type": self.vocabulary_iri(value.datatype)}

    def identifier(self, node: Node) -> str:
        return "_:" + self.labels[node] if isinstance(node, BNode) else str(node)

    def vocabulary_iri(self, node: Node) -> str:
        """An IRI as a type or @vocab value: its term, else its compact IRI, else in full."""
        if isinstance(node, BNode):
            return self.identifier(node)
        return self.ctx.vocabulary.get(str(node)) or self.compact_iri(str(node))

    def compact_iri(self, iri: str) -> str:
        for prefix, namespace in self.ctx.prefixes:
            if iri.startswith(namespace) and _LOCAL_NAME.fullmatch(iri, len(namespace)):
                return f"{prefix}:{iri[len(namespace) :]}"
        return str(iri)
