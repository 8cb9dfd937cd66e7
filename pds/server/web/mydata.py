"""My data: the profile and preferences as forms, their Turtle, and what vendors wrote, which
the customer may share with another vendor."""

from __future__ import annotations

import dataclasses
import re

from flask import flash, redirect, render_template, request, url_for
from rdflib import Graph

from pds.consent import InvalidInput, VendorRecord
from pds.consent.requests import purposes
from pds.consent.scopes import container_vendor
from pds.consent.sharing import KnownVendor
from pds.resources import (
    TURTLE,
    Document,
    ETagMismatch,
    ResourceExists,
    ResourceNotFound,
    ShapeViolation,
)
from pds.resources.paths import resource_iri
from pds.server import metrics
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
from pds.server.web.record_words import headline, shared_words, things
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
    # Shown at the top of the saved form, where the page scrolls to ("told": it links to who
    # was told), not at the top of the page, out of view.
    flash(message, f"saved {model.key}{' told' if told else ''}")
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


# -- records vendors wrote into the pod, and sharing them with another vendor -----------------

SHARE_DURATIONS = [
    ("A day", 86400),
    ("A week", 7 * 86400),
    ("30 days", 30 * 86400),
    ("90 days", 90 * 86400),
    ("A year", 365 * 86400),
]
SHARE_DEFAULT_DURATION = 30 * 86400
_VENDOR_ID = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclasses.dataclass(frozen=True)
class RecordLine:
    """A record in the list of a vendor's records: its name in the pod and in words."""

    record: VendorRecord
    headline: str


@dataclasses.dataclass(frozen=True)
class VendorRecords:
    vendor_id: str
    name: str
    known: bool
    records: list[RecordLine]
    recipients: list[KnownVendor]  # the vendors these records can be shared with


def _vendor_records() -> list[VendorRecords]:
    pod = current_pod()
    by_vendor: dict[str, list[VendorRecord]] = {}
    for record in pod.data.vendor_records():
        by_vendor.setdefault(record.vendor_id, []).append(record)
    names = pod.grants.vendor_names()
    known = pod.sharing.known_vendors()
    groups = [
        VendorRecords(
            v,
            names.get(v, ""),
            v in names,
            [_line(r) for r in sorted(rs, key=lambda x: x.updated_at, reverse=True)],
            [k for k in known if k.vendor_id != v],
        )
        for v, rs in by_vendor.items()
    ]
    return sorted(groups, key=lambda g: (not g.known, g.name.lower(), g.vendor_id))


def _line(record: VendorRecord) -> RecordLine:
    document = current_pod().data.record(record.vendor_id, record.name)
    return RecordLine(record, headline(document.graph, document.iri, record.name))


def _share_choices() -> dict:
    """What every share form offers besides the vendors: purposes and durations."""
    choices = [(iri, p["label"]) for iri, p in purposes().items()]
    return {
        "purposes": choices,
        "default_purpose": choices[0][0],  # providing the service, the list's first
        "durations": SHARE_DURATIONS,
        "default_duration": SHARE_DEFAULT_DURATION,
    }


@bp.get("/records")
@owner_required
def records():
    return render_template(
        "records.html", vendors=_vendor_records(), record=None, share=_share_choices()
    )


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
            "headline": headline(document.graph, document.iri, name),
            "vendor_id": vendor_id,
            "vendor_name": names.get(vendor_id, ""),
            "things": things(document.graph, document.iri),
            "turtle": pod.data.render(document, TURTLE).decode(),
            "recipients": [k for k in pod.sharing.known_vendors() if k.vendor_id != vendor_id],
        },
        share=_share_choices(),
    )


@bp.post("/records/share")
@owner_required
def share_records():
    """Let another vendor read one record (`record`), or all of a vendor's (`writer`)."""
    writer, name = request.form.get("writer", ""), request.form.get("record", "")
    if name:
        back = url_for("web.record", vendor_id=writer, name=name)
    else:
        back = url_for("web.records") + (
            f"#vendor-{writer}" if _VENDOR_ID.fullmatch(writer) else ""
        )
    try:
        shared = current_pod().sharing.share(
            request.form.get("vendor", ""),
            [f"/vendors/{writer}/{name}"],
            request.form.get("purpose", ""),
            request.form.get("duration", type=int) or 0,
        )
    except InvalidInput as error:
        flash(f"Nothing was shared: {error}.", "error")
        return redirect(back)
    metrics.grant_issued("share")
    return redirect(url_for("web.shared", grant_id=shared.grant.id), code=303)


@bp.get("/records/shared/<grant_id>")
@owner_required
def shared(grant_id: str):
    pod = current_pod()
    grant = pod.grants.get(grant_id)
    names = pod.grants.vendor_names()
    return render_template(
        "shared.html",
        grant=grant,
        what=[shared_words(s.resource, names, _title_of(s.resource)) for s in grant.scopes],
        purpose=purposes().get(grant.purpose["iri"], {}).get("label", grant.purpose["iri"]),
    )


def _title_of(resource: str) -> str | None:
    """The headline of the record at `resource`; None for a folder or a record now gone."""
    writer = container_vendor(resource)
    name = resource[len(f"/vendors/{writer}/") :] if writer else ""
    if not name or name.endswith("/"):
        return None
    try:
        document = current_pod().data.record(writer or "", name)
    except ResourceNotFound:
        return None
    return headline(document.graph, document.iri, name)
