"""The form model: fields made from the SHACL shapes (labels, help, kinds, counts, rows)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TypedDict

from rdflib import RDFS, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH, XSD

from pds import schemas
from pds.server.web.forms.patterns import html_pattern

SCHEMA = Namespace("https://schema.org/")

TEXT, DATE, NUMBER = "text", "date", "number"
CHECKBOX, CHOICE, GROUP = "checkbox", "choice", "group"
_KINDS = {XSD.string: TEXT, XSD.date: DATE, XSD.decimal: NUMBER, XSD.boolean: CHECKBOX}
_ROW_KINDS = {TEXT, DATE, NUMBER}  # what a nested row can hold; anything else stays untouched

# The fragment of the node a document is about, as in the sample documents (`<#me>`).
_MAIN_FRAGMENTS = {schemas.VOCAB.ProfileShape: "me", schemas.VOCAB.PreferencesShape: "prefs"}
# schema.org itself is not loaded, so the types of its nested nodes are named here.
_NODE_TYPES = {SCHEMA.address: SCHEMA.PostalAddress}
# Browsers fill these in for people (WHATWG autofill names).
_AUTOCOMPLETE = {
    SCHEMA.name: "name",
    SCHEMA.givenName: "given-name",
    SCHEMA.familyName: "family-name",
    SCHEMA.email: "email",
    SCHEMA.telephone: "tel",
    SCHEMA.birthDate: "bday",
    SCHEMA.streetAddress: "street-address",
    SCHEMA.addressLocality: "address-level2",
    SCHEMA.postalCode: "postal-code",
    SCHEMA.addressRegion: "address-level1",
    SCHEMA.addressCountry: "country",
}
EMPTY_ROWS = 2  # blank rows after the stored values, so more can be added without JavaScript
EMPTY_GROUP_ROWS = 1

FormValues = Mapping[str, Sequence[str]]


@dataclasses.dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclasses.dataclass(frozen=True)
class Field:
    key: str
    predicate: URIRef
    label: str
    help: str
    kind: str
    repeating: bool
    required: bool
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: str | None = None
    step: str | None = None
    autocomplete: str | None = None
    message: str = ""  # what a valid value looks like (sh:message), for a pattern's tooltip
    choices: tuple[Choice, ...] = ()
    subfields: tuple[Field, ...] = ()
    row_label: str = ""
    node_type: URIRef | None = None

    @property
    def input_type(self) -> str:
        if self.kind == TEXT:
            return "tel" if self.autocomplete == "tel" else "text"
        return self.kind

    @property
    def inputmode(self) -> str | None:
        if self.kind == NUMBER:
            return "decimal"
        return "email" if self.autocomplete == "email" else None


@dataclasses.dataclass(frozen=True)
class FormModel:
    key: str
    path: str
    title: str
    intro: str
    target_class: URIRef
    main_fragment: str
    fields: tuple[Field, ...]


class _Common(TypedDict):
    """What every kind of field has, read once before the kind-specific parts."""

    key: str
    predicate: URIRef
    label: str
    help: str
    repeating: bool
    required: bool


# -- the model, from the shapes ----------------------------------------------------------------


@cache
def form_model(path: str) -> FormModel:
    """The edit form of the typed document at `path` (`/profile`, `/preferences`)."""
    shape = schemas.shape_for_path(path)
    if shape is None:
        raise LookupError(f"{path} has no shape, so no form")
    shapes = schemas.shapes_graph()
    label = _text(shapes, shape, RDFS.label) or path.strip("/")
    target_class = shapes.value(shape, SH.targetClass)
    if not isinstance(target_class, URIRef):
        raise LookupError(f"{shape} has no sh:targetClass, so a new document could not be typed")
    return FormModel(
        key=path.strip("/").replace("/", "-"),
        path=path,
        title=f"Your {label[:1].lower()}{label[1:]}",
        intro=_text(shapes, shape, RDFS.comment),
        target_class=target_class,
        main_fragment=_MAIN_FRAGMENTS.get(shape, "it"),
        fields=_fields(shapes, shape, nested=False),
    )


def _fields(shapes: Graph, shape: URIRef, nested: bool) -> tuple[Field, ...]:
    properties = sorted(
        shapes.objects(shape, SH.property),
        key=lambda p: _order(shapes.value(p, SH.order)),
    )
    fields: list[Field] = []
    for prop in properties:
        field = _field(shapes, prop)
        if field is None or (nested and (field.kind not in _ROW_KINDS or field.repeating)):
            continue  # not shown, so never touched: saving keeps such values as they are
        if any(f.key == field.key for f in fields):
            field = dataclasses.replace(field, key=f"{field.key}{len(fields)}")
        fields.append(field)
    return tuple(fields)


def _field(shapes: Graph, prop) -> Field | None:
    predicate = shapes.value(prop, SH.path)
    if not isinstance(predicate, URIRef):
        return None  # property paths (sequences, inverses) have no form
    max_count = shapes.value(prop, SH.maxCount)
    common = _Common(
        key=local_name(predicate),
        predicate=predicate,
        label=_text(shapes, prop, SH.name) or local_name(predicate),
        help=_text(shapes, prop, SH.description),
        repeating=max_count is None or int(max_count) > 1,
        required=int(shapes.value(prop, SH.minCount) or 0) > 0,
    )
    node_shape = shapes.value(prop, SH.node)
    if node_shape is not None:
        return Field(
            **common,
            kind=GROUP,
            subfields=_fields(shapes, node_shape, nested=True),
            row_label=_text(shapes, node_shape, RDFS.label) or common["label"],
            node_type=_NODE_TYPES.get(predicate) or _range(shapes, predicate),
        )
    listed = shapes.value(prop, SH["in"])
    if listed is not None:
        choices = tuple(
            Choice(str(term), _text(shapes, term, RDFS.label) or local_name(term))
            for term in Collection(shapes, listed)
            if isinstance(term, URIRef)
        )
        return Field(**common, kind=CHOICE, choices=choices)
    kind = _KINDS.get(shapes.value(prop, SH.datatype))
    if kind is None:
        return None
    minimum = shapes.value(prop, SH.minInclusive)
    return Field(
        **common,
        kind=kind,
        pattern=html_pattern(
            str(shapes.value(prop, SH.pattern) or ""), shapes.value(prop, SH.flags)
        ),
        min_length=_int(shapes.value(prop, SH.minLength)),
        max_length=_int(shapes.value(prop, SH.maxLength)),
        minimum=str(minimum) if minimum is not None and kind == NUMBER else None,
        step="0.01" if kind == NUMBER else None,
        autocomplete=_AUTOCOMPLETE.get(predicate),
        message=_text(shapes, prop, SH.message),
    )


def _text(graph: Graph, subject, predicate) -> str:
    values = list(graph.objects(subject, predicate))
    english = [v for v in values if getattr(v, "language", None) in ("en", None)]
    first = english or values
    return str(first[0]) if first else ""


def _range(shapes: Graph, predicate: URIRef) -> URIRef | None:
    value = shapes.value(predicate, RDFS.range)
    return value if isinstance(value, URIRef) and not value.startswith(str(XSD)) else None


def _order(value) -> float:
    """The sh:order of a property; properties without one come last."""
    return float(value) if isinstance(value, Literal) else 1e9


def _int(value) -> int | None:
    return int(value) if value is not None else None


def local_name(iri: URIRef) -> str:
    return re.split(r"[#/]", str(iri).rstrip("#/"))[-1]
