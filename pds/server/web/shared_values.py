"""What a request would really reveal: the customer's stored values of each field, in words.

The request card shows them next to each field ("Email address: alex@example.org"), so the
customer decides about their data rather than about field names.
"""

from __future__ import annotations

import datetime as dt

from rdflib import Graph, Literal, URIRef

from pds.server.current import current_pod
from pds.server.web.forms import Field, form_model
from pds.server.web.forms.model import CHECKBOX, CHOICE, DATE, GROUP
from pds.server.web.forms.values import main_node

TYPED = ("/profile", "/preferences")


def customer_values(path: str) -> dict[str, list[str]]:
    """Field IRI -> the values stored for it in the document at `path`, as words; a field
    with nothing stored is absent. Empty for a document that does not exist."""
    document = current_pod().data.document(path)
    if document is None:
        return {}
    model = form_model(path)
    node = main_node(model, document.graph, document.iri)
    out: dict[str, list[str]] = {}
    for field in model.fields:
        words = [
            _words(document.graph, field, value)
            for value in document.graph.objects(node, field.predicate)
        ]
        words = sorted(w for w in words if w)
        if words:
            out[str(field.predicate)] = words
    return out


def all_customer_values() -> dict[str, dict[str, list[str]]]:
    return {path: customer_values(path) for path in TYPED}


def _words(graph: Graph, field: Field, value) -> str:
    if field.kind == GROUP:  # an address, a size, a budget: its parts in form order
        parts = (graph.value(value, sub.predicate) for sub in field.subfields)
        return ", ".join(str(p) for p in parts if p is not None and str(p).strip())
    if field.kind == CHOICE:
        labels = {c.value: c.label for c in field.choices}
        return labels.get(str(value), str(value)) if isinstance(value, URIRef) else ""
    if field.kind == CHECKBOX and isinstance(value, Literal):
        return "Yes" if value.value is True else "No"
    if field.kind == DATE and isinstance(value, Literal) and isinstance(value.value, dt.date):
        return f"{value.value:%-d %B %Y}"
    return str(value) if isinstance(value, Literal) else ""
