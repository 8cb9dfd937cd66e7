"""Edit forms made from the SHACL shapes, and the RDF graph a submitted form stands for.

The shapes say what a document holds (`sh:name`, `sh:description`, `sh:order`, datatypes,
counts, patterns, nested `sh:node` shapes); `form_model()` turns that into fields a page can
show. Form values travel as a plain mapping of input name -> list of strings, the same whether
they come from a stored graph (`values_from_graph`) or from a posted form, so a refused form is
shown again exactly as the customer typed it.

Input names, for a field with key `k` (the predicate's local name):
  single value        `k`                 repeating values   `k-0`, `k-1`, ...
  choice (sh:in)      `k` (one per tick)  yes/no             `k` = "true", `k-present`
  nested node rows    `k-0-<sub key>`, `k-0-ref` (which stored node), `k-0-remove`
Element ids are the input name prefixed with the form's key: `profile-email-0`.
"""

from pds.server.web.forms.model import Field, FormModel, form_model
from pds.server.web.forms.patterns import html_pattern
from pds.server.web.forms.values import graph_from_values, values_from_graph
from pds.server.web.forms.view import FormView, form_view, place_violations, typed_entries

__all__ = [
    "Field",
    "FormModel",
    "FormView",
    "form_model",
    "form_view",
    "graph_from_values",
    "html_pattern",
    "place_violations",
    "typed_entries",
    "values_from_graph",
]
