"""Writing Turtle and N-Triples: each literal as written, and the same bytes for the same graph.

rdflib's writers change literals (`"1.0E3"^^xsd:double` comes out as `1e+03`, and
`"1"^^xsd:boolean` as `1`, which reads back as an integer) and follow the order a graph
yields its triples, which changes from one process to the next. These write every lexical
form untouched, in the order of `terms.Statements`, so a strong ETag names one set of bytes.
"""

from __future__ import annotations

import re
from typing import TypeGuard

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from pds.resources.terms import WRITTEN_PREFIXES, Statements, blank_labels

MAX_NESTING = 8
"""Blank nodes deeper than this are written apart, with a label, so reading back stays shallow."""

_LOCAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.+[A-Za-z0-9_-]+)*")
_BY_LONGEST = sorted(WRITTEN_PREFIXES.items(), key=lambda item: -len(item[1]))

# Turtle's own number and boolean tokens (Turtle 1.1 §6.5, INTEGER, DECIMAL, DOUBLE): a lexical
# form that matches is written bare, and reads back with the same lexical form.
_BARE = {
    XSD.integer: re.compile(r"[+-]?[0-9]+"),
    XSD.decimal: re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    XSD.double: re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+"),
    XSD.boolean: re.compile(r"true|false"),
}

_STRING_ESCAPES = {c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F]} | {
    ord("\\"): "\\\\",
    ord('"'): '\\"',
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}
# Characters IRIREF does not allow (Turtle 1.1 §6.5); the pod refuses such IRIs on writes.
_IRI_ESCAPES = {c: f"\\u{c:04X}" for c in [*range(0x21), *map(ord, '<>"{}|^`\\')]}


_NEEDS_STRING_ESCAPE = re.compile('[\x00-\x1f\x7f"\\\\]')
_NEEDS_IRI_ESCAPE = re.compile('[\x00-\x20<>"{}|^`\\\\]')


# str() first: rdflib's terms overload `+`, and would make (and check) a new term of the result.


def quote(text: str) -> str:
    text = str(text)
    if _NEEDS_STRING_ESCAPE.search(text):  # rarely: translate() is slow, search() is not
        text = text.translate(_STRING_ESCAPES)
    return '"' + text + '"'


def iri_ref(iri: str) -> str:
    iri = str(iri)
    if _NEEDS_IRI_ESCAPE.search(iri):
        iri = iri.translate(_IRI_ESCAPES)
    return "<" + iri + ">"


def write_ntriples(graph: Graph) -> str:
    """One line per triple, lines sorted, blank nodes `_:b0`, `_:b1`... in term order."""
    triples = list(graph)
    labels = blank_labels({n for triple in triples for n in triple if isinstance(n, BNode)})
    written: dict[Node, str] = {}

    def term(node: Node) -> str:
        text = written.get(node)
        if text is None:
            if isinstance(node, URIRef):
                text = iri_ref(node)
            elif isinstance(node, BNode):
                text = "_:" + labels[node]
            else:
                assert isinstance(node, Literal)
                text = _literal(node, iri_ref)
            written[node] = text
        return text

    return "".join(sorted(f"{term(s)} {term(p)} {term(o)} .\n" for s, p, o in triples))


def write_turtle(graph: Graph) -> str:
    """Subjects in `Statements` order; a blank node that is the object of one triple only is
    written inside it (`[ ... ]`), up to MAX_NESTING deep; other blank nodes get a label."""
    return _TurtleWriter(Statements(graph)).text()


def _literal(literal: Literal, name_iri) -> str:
    lexical = str(literal)
    if literal.language:
        return quote(lexical) + "@" + literal.language
    if literal.datatype is None:
        return quote(lexical)
    return quote(lexical) + "^^" + name_iri(literal.datatype)


class _TurtleWriter:
    def __init__(self, statements: Statements):
        self.st = statements
        self.inline: set[BNode] = set()
        self.tops: list[Node] = []
        self._place_blank_nodes()
        self.labels = blank_labels(b for b in statements.blank_nodes if b not in self.inline)
        self.prefixes: set[str] = set()

    def text(self) -> str:
        blocks = [
            f"{self.term(subject, 0)} {self.properties(subject, 4)} ." for subject in self.tops
        ]
        heading = [f"@prefix {p}: <{WRITTEN_PREFIXES[p]}> ." for p in sorted(self.prefixes)]
        return "\n\n".join(filter(None, ["\n".join(heading), *blocks])) + ("\n" if blocks else "")

    def _place_blank_nodes(self) -> None:
        """Which blank nodes go inline, and which subjects head a block of their own."""
        st = self.st

        def inlinable(node: Node) -> TypeGuard[BNode]:
            return isinstance(node, BNode) and st.references[node] == 1

        def visit(subject: Node, depth: int) -> None:
            if depth == MAX_NESTING:
                return
            for _predicate, objects in st.properties.get(subject, ()):
                for node in objects:
                    if inlinable(node) and node not in self.inline and node not in placed:
                        self.inline.add(node)
                        visit(node, depth + 1)

        placed: set[Node] = set()
        # First the subjects nothing can hold inline; then any left over, each of which is in
        # a cycle of blank nodes or deeper than MAX_NESTING.
        for subject in [s for s in st.subjects if not inlinable(s)] + st.subjects:
            if subject not in placed and subject not in self.inline:
                placed.add(subject)
                self.tops.append(subject)
                visit(subject, 0)

    def properties(self, subject: Node, indent: int) -> str:
        pad = " " * indent
        parts = []
        for predicate, objects in self.st.properties.get(subject, ()):
            verb = "a" if predicate == RDF.type else self.iri(predicate)
            # The first value follows the verb; each other one starts a line of its own.
            values = [self.term(o, indent if n == 0 else indent + 4) for n, o in enumerate(objects)]
            parts.append(verb + " " + (",\n" + pad + "    ").join(values))
        return (" ;\n" + pad).join(parts)

    def term(self, node: Node, indent: int) -> str:
        if isinstance(node, URIRef):
            return self.iri(node)
        if isinstance(node, BNode):
            if node not in self.inline:
                return "_:" + self.labels[node]
            if node not in self.st.properties:
                return "[]"
            inner = self.properties(node, indent + 4)
            return "[\n" + " " * (indent + 4) + inner + "\n" + " " * indent + "]"
        assert isinstance(node, Literal)
        bare = _BARE.get(node.datatype) if node.datatype and not node.language else None
        if bare is not None and bare.fullmatch(node):
            return str(node)
        return _literal(node, self.iri)

    def iri(self, iri: str) -> str:
        for prefix, namespace in _BY_LONGEST:
            if iri.startswith(namespace) and _LOCAL_NAME.fullmatch(iri, len(namespace)):
                self.prefixes.add(prefix)
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri_ref(iri)
