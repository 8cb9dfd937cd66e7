"""rdflib's parsers, made to keep every literal exactly as written and to name blank nodes stably.

rdflib normalises a typed literal when it makes one (`"0042"^^xsd:integer` becomes `"42"`,
`"1"^^xsd:boolean` becomes `"true"`, so two triples can merge into one) unless it is told not
to, per literal, with `Literal(..., normalize=False)`; its `NORMALIZE_LITERALS` switch would
change every literal made anywhere in the process. So each parser here is rdflib's own, with
the one method that makes literals replaced by one that says `normalize=False`:

- Turtle: literals, and bare numbers, whose lexical form is the token as written (`0042`,
  `+5`, `1.0E3`); rdflib's tokenizer turns those into Python numbers first.
- N-Triples: literals.
- JSON-LD: typed strings as written; native JSON numbers and booleans as JSON-LD 1.1 §8.6
  converts them (`1000.0` is `"1000"^^xsd:integer`, `1.5` is `"1.5E0"^^xsd:double`).

Blank nodes from Turtle and N-Triples are named from a counter (`b0`, `b1`...) as the parser
meets them, so the same stored bytes give the same graph, labels included, in every process.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import MutableSequence
from decimal import Decimal
from typing import Any

from rdflib import BNode, ConjunctiveGraph, Dataset, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.parsers import jsonld as rdflib_jsonld
from rdflib.plugins.parsers import notation3, ntriples
from rdflib.plugins.parsers.trig import TrigSinkParser
from rdflib.plugins.shared.jsonld.context import Context, Term
from rdflib.plugins.shared.jsonld.keys import ID, JSON, VALUE, VOCAB

# -- Turtle --------------------------------------------------------------------------------------

_NUMBER_TYPES = {int: XSD.integer, Decimal: XSD.decimal, notation3.sfloat: XSD.double}


class _Number:
    """A bare Turtle number, as written, until the sink makes it a literal."""

    def __init__(self, lexical: str, datatype: str):
        self.lexical, self.datatype = lexical, datatype


class _TurtleSink(notation3.RDFSink):
    def __init__(self, graph: Graph):
        super().__init__(graph)
        self._labels = (f"b{n}" for n in itertools.count())

    def newBlankNode(self, arg=None, uri=None, why=None) -> BNode:
        if isinstance(arg, notation3.Formula):  # N3 only; Turtle has no formulae
            return super().newBlankNode(arg, uri, why)
        return BNode(next(self._labels))

    def newLiteral(self, s: str, dt, lang) -> Literal:
        return Literal(s, lang=None if dt else lang, datatype=dt, normalize=False)

    def normalise(self, f, n):
        if isinstance(n, _Number):
            return Literal(n.lexical, datatype=n.datatype, normalize=False)
        return super().normalise(f, n)


class _ExactNumbers(notation3.SinkParser):
    """Bare numbers kept as written (`0042`, `1.0E3`): a mixin for rdflib's Turtle and TriG."""

    def nodeOrLiteral(self, argstr: str, i: int, res: MutableSequence[Any]) -> int:
        before = len(res)
        j = super().nodeOrLiteral(argstr, i, res)
        if j >= 0 and len(res) > before and type(res[-1]) in _NUMBER_TYPES:
            start = self.skipSpace(argstr, i)
            res[-1] = _Number(argstr[start:j], _NUMBER_TYPES[type(res[-1])])
        return j


def parse_turtle(graph: Graph, text: str, base: str) -> None:
    """Add the triples of the Turtle `text` to `graph`; raises rdflib's BadSyntax."""
    parser = _TurtleParser(_TurtleSink(graph), baseURI=base, turtle=True)
    parser.loadBuf(text)
    for prefix, namespace in parser._bindings.items():
        graph.bind(prefix, namespace)


class _TurtleParser(_ExactNumbers):
    pass


class _TrigParser(_ExactNumbers, TrigSinkParser):
    pass


def parse_trig(dataset: Dataset, text: str, base: str) -> None:
    """Add the graphs of the TriG `text` to `dataset`, literals exactly as written (archives);
    raises rdflib's BadSyntax."""
    conjunctive = ConjunctiveGraph(store=dataset.store, identifier=dataset.identifier)
    conjunctive.default_context = dataset.default_context
    parser = _TrigParser(_TurtleSink(conjunctive), baseURI=base, turtle=True)
    parser.loadBuf(text)


# -- N-Triples -----------------------------------------------------------------------------------


class _NTriplesParser(ntriples.W3CNTriplesParser):
    def __init__(self, graph: Graph):
        super().__init__(ntriples.NTGraphSink(graph))
        self._nodes: dict[str, BNode] = {}

    def nodeid(self, bnode_context=None):
        if not self.peek("_"):
            return False
        label = self.eat(ntriples.r_nodeid).group(1)
        if label not in self._nodes:
            self._nodes[label] = BNode(f"b{len(self._nodes)}")
        return self._nodes[label]

    def literal(self):
        if not self.peek('"'):
            return False
        lexical, lang, datatype = self.eat(ntriples.r_literal).groups()
        if lang and datatype:
            raise ntriples.ParseError("Can't have both a language and a datatype")
        if datatype:
            datatype = ntriples.URI(ntriples.uriquote(ntriples.unquote(datatype)))
        return Literal(ntriples.unquote(lexical), lang or None, datatype or None, normalize=False)


def parse_ntriples(graph: Graph, text: str) -> None:
    """Add the triples of the N-Triples `text` to `graph`; raises rdflib's ParserError."""
    _NTriplesParser(graph).parse(io.StringIO(text))


# -- JSON-LD -------------------------------------------------------------------------------------


class _JsonLdParser(rdflib_jsonld.Parser):
    def _to_object(self, dataset, graph, context, term, node, inlist=False):
        literal = _exact_literal(context, term, node)
        if literal is not None:
            return literal
        return super()._to_object(dataset, graph, context, term, node, inlist)


def _exact_literal(context: Context, term: Term | None, node: Any) -> Literal | None:
    """The literal a typed string, a number or a boolean stands for; None for rdflib to do."""
    if isinstance(node, dict):
        if VALUE not in node and context.get_key(VALUE) not in node:
            return None  # a node object or a list
        if context.get_language(node):
            return None
        value, datatype = context.get_value(node), context.get_type(node)
    elif term is not None and term.type and term.type not in (ID, VOCAB, JSON):  # UNDEF is falsy
        value, datatype = node, term.type  # a value compacted under a term that types it
    else:
        value, datatype = node, None
    if datatype is not None:
        if datatype == JSON or datatype in set(context.get_keys(JSON)):
            return None
        expanded = context.expand(datatype)
        if not expanded:
            return None
        datatype = URIRef(expanded)
    if isinstance(value, bool):
        return Literal(str(value).lower(), datatype=datatype or XSD.boolean, normalize=False)
    if isinstance(value, int | float):
        return _number(value, datatype)
    if isinstance(value, str) and datatype:
        return Literal(value, datatype=datatype, normalize=False)
    return None


def _number(value: int | float, datatype: str | None) -> Literal:
    """JSON-LD 1.1 §8.6: a number is an xsd:integer unless it has a fraction, is at least
    1e21, or is typed xsd:double; either way written in the canonical form jsonld.js writes."""
    integral = isinstance(value, int) or value.is_integer()
    if not integral or abs(value) >= 1e21 or datatype == XSD.double:
        lexical = canonical_double(value)
        return Literal(lexical, datatype=datatype or XSD.double, normalize=False)
    return Literal(str(int(value)), datatype=datatype or XSD.integer, normalize=False)


def canonical_double(value: int | float) -> str:
    """`1.0E3`, `1.5E0`, `-2.5E-3`: one digit before the point, at least one after."""
    try:
        value = float(value)
    except OverflowError:  # an integer too large for a double
        value = math.inf if value > 0 else -math.inf
    if not math.isfinite(value):  # JSON has no NaN, but 1e400 is a valid JSON number
        return "INF" if value > 0 else "-INF"
    mantissa, exponent = f"{value:.15E}".split("E")
    mantissa = mantissa.rstrip("0")
    if mantissa.endswith("."):
        mantissa += "0"
    return f"{mantissa}E{int(exponent)}"


def parse_jsonld(graph: Graph, document: Any, base: str) -> None:
    """Add the triples of the parsed JSON-LD `document` (contexts already inline) to `graph`."""
    # As rdflib's own JSON-LD plugin does: named graphs go to other contexts of the store.
    dataset = ConjunctiveGraph(store=graph.store, identifier=graph.identifier)
    _JsonLdParser().parse(document, Context(base=base, version=1.1), dataset)
