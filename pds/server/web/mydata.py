"""My data: the profile and preferences as forms, their Turtle, and what vendors wrote."""

from __future__ import annotations

import dataclasses
import re
from functools import cache

from flask import flash, redirect, render_template, request, url_for
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef

from pds import schemas
from pds.consent import VendorRecord
from pds.resources import TURTLE, Document, ETagMismatch, ResourceExists, ShapeViolation
from pds.resources.paths import resource_iri
from pds.server.current import current_pod
from pds.server.web.blueprint import bp
from pds.server.web.forms import (
    FormView,
    form_model,
    form_view,
    graph_from_values,
    place_violations,
    typed_entries,
    values_from_graph,
)
from pds.server.web.session import owner_required

DOCUMENTS = ("/profile", "/preferences")
_NOT_FORM_VALUES = {"csrf_token", "etag"}


def _stored(path: str) -> Document | None:
    return current_pod().data.document(path)


def _stored_form(path: str, **extra) -> FormView:
    model = form_model(path)
    document = _stored(path)
    if document is None:
        return form_view(model, {}, "", **extra)
    return form_view(
        model, values_from_graph(model, document.graph, document.iri), document.etag, **extra
    )


def _data_page(status: int = 200, shown: FormView | None = None):
    forms = [
        shown if shown is not None and shown.model.path == path else _stored_form(path)
        for path in DOCUMENTS
    ]
    return render_template("data.html", forms=forms), status


@bp.get("/data")
@owner_required
def my_data():
    return _data_page()


@bp.post("/data/<any(profile, preferences):name>")
@owner_required
def save_data(name: str):
    path = f"/{name}"
    model = form_model(path)
    values = {k: v for k, v in request.form.lists() if k not in _NOT_FORM_VALUES}
    sent_etag = request.form.get("etag", "")
    current = _stored(path)
    if (current.etag if current else "") != sent_etag:
        return _changed_elsewhere(path, values)
    pod = current_pod()
    document_iri = current.iri if current else resource_iri(pod.base_url, path)
    built = graph_from_values(model, values, current.graph if current else Graph(), document_iri)
    try:
        # The violations name the nodes of this very graph, so each finds its form field.
        written = pod.data.put_graph(
            path,
            built.graph,
            if_match=frozenset({sent_etag}) if sent_etag else None,
            if_none_match=not sent_etag,
        )
    except ShapeViolation as exc:
        problems = place_violations(model, built, values, exc.violations)
        return _data_page(400, form_view(model, values, sent_etag, problems))
    except (ETagMismatch, ResourceExists):
        return _changed_elsewhere(path, values)
    told = written.vendors_told
    message = f"Your changes to {model.title.lower()} are saved."
    if told:
        vendors = (
            "1 vendor that can see it was" if told == 1 else f"{told} vendors that can see it were"
        )
        message += f" {vendors} told it changed."
    flash(message)
    return redirect(url_for("web.my_data") + f"#{model.key}-title")


def _changed_elsewhere(path: str, values: dict[str, list[str]]):
    model = form_model(path)
    notice = (
        f"{model.title} changed in another window or app while you were editing, so your "
        "changes were not saved. Here is the current version: make your changes again and save."
    )
    shown = _stored_form(path, notice=notice, typed=tuple(typed_entries(model, values)))
    return _data_page(409, shown)


@bp.get("/data/turtle")
@owner_required
def data_turtle():
    pod = current_pod()
    documents = []
    for path in DOCUMENTS:
        document = _stored(path)
        text = pod.data.render(document, TURTLE).decode() if document else ""
        documents.append({"title": form_model(path).title, "path": path, "turtle": text})
    return render_template("data_turtle.html", documents=documents)


# -- records vendors wrote into the pod ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class VendorRecords:
    vendor_id: str
    name: str
    known: bool
    records: list[VendorRecord]


@dataclasses.dataclass(frozen=True)
class Thing:
    """One node of a record, in words: what it is and what the record says about it."""

    anchor: str
    title: str
    facts: list[tuple[str, list[tuple[str, str]]]]  # label -> [(text, link to another thing)]


def _vendor_records() -> list[VendorRecords]:
    pod = current_pod()
    by_vendor: dict[str, list[VendorRecord]] = {}
    for record in pod.data.vendor_records():
        by_vendor.setdefault(record.vendor_id, []).append(record)
    names = pod.grants.vendor_names()
    groups = [
        VendorRecords(
            v, names.get(v, ""), v in names, sorted(r, key=lambda x: x.updated_at, reverse=True)
        )
        for v, r in by_vendor.items()
    ]
    return sorted(groups, key=lambda g: (not g.known, g.name.lower(), g.vendor_id))


@bp.get("/records")
@owner_required
def records():
    return render_template("records.html", vendors=_vendor_records(), record=None)


@bp.get("/records/<vendor_id>/<path:name>")
@owner_required
def record(vendor_id: str, name: str):
    pod = current_pod()
    document = pod.data.record(vendor_id, name)
    names = pod.grants.vendor_names()
    return render_template(
        "records.html",
        vendors=None,
        record={
            "name": name,
            "vendor_id": vendor_id,
            "vendor_name": names.get(vendor_id, ""),
            "things": _things(document.graph, document.iri),
            "turtle": pod.data.render(document, TURTLE).decode(),
        },
    )


def _things(graph: Graph, document_iri: str) -> list[Thing]:
    subjects = sorted(
        set(graph.subjects()),
        key=lambda s: (isinstance(s, BNode), not str(s).startswith(document_iri), str(s)),
    )
    anchors = {s: f"thing-{i + 1}" for i, s in enumerate(subjects)}
    titles = {s: _title(graph, s, document_iri, i) for i, s in enumerate(subjects)}
    things = []
    for subject in subjects:
        facts: dict[str, list[tuple[str, str]]] = {}
        for predicate, value in sorted(graph.predicate_objects(subject)):
            if predicate == RDF.type:
                continue
            if value in anchors:
                shown = (titles[value], "#" + anchors[value])
            else:
                shown = (_words(value), "")
            name = label_of(predicate) if isinstance(predicate, URIRef) else str(predicate)
            facts.setdefault(name, []).append(shown)
        things.append(Thing(anchors[subject], titles[subject], list(facts.items())))
    return things


def _title(graph: Graph, subject, document_iri: str, index: int) -> str:
    kinds = sorted(label_of(t) for t in graph.objects(subject, RDF.type) if isinstance(t, URIRef))
    if kinds:
        return " and ".join(kinds)
    return (
        "This record"
        if str(subject) in (document_iri, document_iri + "#it")
        else f"Item {index + 1}"
    )


def _words(value) -> str:
    if isinstance(value, URIRef):
        return label_of(value) if value in _labels() else str(value)
    if isinstance(value, Literal) and isinstance(value.value, bool):
        return "yes" if value.value else "no"
    return str(value)


@cache
def _labels() -> dict[URIRef, str]:
    """Customer-facing names of the pod's own terms and of purposes.

    The forms' names are not used: they fit the profile ("Full name" for schema:name), not a
    vendor's receipt.
    """
    labels: dict[URIRef, str] = {}
    for graph in (schemas.purposes_graph(), schemas.shapes_graph()):
        for term, label in graph.subject_objects(RDFS.label):
            if isinstance(term, URIRef) and getattr(label, "language", None) in ("en", None):
                labels[term] = str(label)
    return labels


def label_of(term: URIRef) -> str:
    """A name for a term people can read: its label, else its last word split into words."""
    if term in _labels():
        return _labels()[term]
    local = re.split(r"[#/]", str(term).rstrip("#/"))[-1] or str(term)
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|[_-]+", " ", local).strip()
    return words[:1].upper() + words[1:].lower() if words else str(term)
