"""Home, requests and activity pages (grants: grants_pages)."""

from __future__ import annotations

import contextlib
import datetime as dt

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from pds.consent import AlreadyDecided, Grant, Outcome, RequestNotFound, Scope
from pds.consent.activity import MAX_EVENTS
from pds.consent.requests import AccessRequest, Flood
from pds.consent.requests import floods as split_floods
from pds.consent.risk import Risk, risks
from pds.consent.scopes import fields_of
from pds.server import metrics
from pds.server.current import current_pod
from pds.server.representations import grant_json, request_json
from pds.server.web.activity import activity_chart, charted, timeline
from pds.server.web.blueprint import bp, customer_zone
from pds.server.web.grants_pages import time_left
from pds.server.web.session import owner_required
from pds.server.web.shared_values import all_customer_values
from pds.server.web.words import describe_duration, describe_period, resource_words

DURATION_CHOICES = [
    ("1 hour", 3600),
    ("1 day", 86400),
    ("1 week", 7 * 86400),
    ("30 days", 30 * 86400),
    ("90 days", 90 * 86400),
    ("1 year", 365 * 86400),
]
CHART_DAYS = 14


@bp.get("/")
@owner_required
def home():
    pod = current_pod()
    now = pod.now()
    pending = [request_json(r) for r in pod.requests.list("pending")]
    grants = [grant_json(g) for g in pod.grants.list()]
    expiring = [
        (g, time_left(dt.datetime.fromisoformat(g["expires_at"]), now))
        for g in grants
        if g["state"] == "active"
        and dt.datetime.fromisoformat(g["expires_at"]) - now < dt.timedelta(days=7)
    ]
    refused = pod.activity.data_accesses(
        since=now - dt.timedelta(days=7), outcome=Outcome.REFUSED, limit=20
    )
    return render_template(
        "home.html",
        pending=pending,
        expiring=expiring,
        refused=refused,
        names=pod.grants.vendor_names(),
        active=sum(g["state"] == "active" for g in grants),
    )


@bp.get("/requests")
@owner_required
def requests_page():
    pod = current_pod()
    waiting = pod.requests.list("pending")
    single, floods = split_floods(waiting)
    decided = [request_json(r) for r in pod.requests.list() if r.status != "pending"][:20]
    fields = _field_names()
    return render_template(
        "requests.html",
        pending=[request_json(r) for r in single],
        floods=[_flood_json(f) for f in floods],
        decided=decided,
        fields=fields,
        durations=DURATION_CHOICES,
        term_titles={t["id"]: t["title"] for t in pod.terms.current()},
        my_terms=pod.terms.current(),
        values=all_customer_values(),
        risks={r.id: [_suggestion(r, risk, fields) for risk in risks(r)] for r in waiting},
        digest=pod.rules.digest(),
    )


@bp.post("/requests/<request_id>/decide")
@owner_required
def decide(request_id: str):
    pod = current_pod()
    if request.form.get("decision") == "deny":
        pod.decisions.deny(request_id)
        flash("You said no. The vendor has been told.")
        return redirect(url_for("web.requests_page"))
    chosen = _chosen_scopes(request_id)
    if not chosen:
        flash(
            "Nothing is ticked, so nothing would be shared. Tick what to share, or say no.",
            "error",
        )
        return redirect(url_for("web.requests_page") + f"#request-{request_id}")
    grant = pod.decisions.approve(
        request_id,
        scopes=chosen,
        duration_seconds=request.form.get("duration", type=int),
        agreement=request.form.get("agreement") or None,  # theirs or the customer's (§17)
    )
    metrics.grant_issued("request")
    flash(_approval_words(grant, pod.requests.get(request_id), chosen))
    return redirect(url_for("web.grant_page", grant_id=grant.id))


def _suggestion(asked: AccessRequest, risk: Risk, fields: dict) -> dict:
    """A risk as the card shows it: why, and the narrower choice as the form fields a browser
    would send for it (indexed like the card's own form, so `decide` reads it the same way)."""
    narrower = {s.resource: s for s in risk.scopes}
    form: list[tuple[str, str]] = []
    for index, scope in enumerate(asked.scopes):
        kept = narrower.get(scope.resource)
        if kept is None:
            continue
        form.append((f"scope-{index}", "1"))
        form += [(f"scope-{index}-mode", mode) for mode in sorted(kept.modes)]
        form += [(f"scope-{index}-field", iri) for iri in sorted(kept.fields or ())]
    form.append(("duration", str(risk.duration_seconds)))
    names = fields.get(risk.rule.resource, {})
    dropped = [names[iri]["name"].lower() for iri in sorted(risk.dropped) if iri in names]
    return {
        "id": risk.rule.id,
        "why": risk.rule.why,
        "choice": f"Allow it without your {' and your '.join(dropped)}, "
        f"for {describe_duration(risk.duration_seconds)}",
        "form": form,
    }


def _approval_words(grant: Grant, asked: AccessRequest, chosen: list[Scope]) -> str:
    """The confirmation: with whom, for how long, and what of the request was not shared."""
    name = grant.vendor.get("name", "the vendor")
    period = describe_period(grant.issued_at, grant.expires_at, customer_zone())
    said = f"Shared with {name} {period}."
    kept = {s.resource for s in chosen}
    left_out = [resource_words(s.resource) for s in asked.scopes if s.resource not in kept]
    if left_out:
        said += f" Not shared, as you unticked it: {'; '.join(left_out)}."
    return said


def _flood_json(flood: Flood) -> dict:
    arrived = sorted(r.created_at for r in flood.requests)
    return {
        "client": flood.client,
        "count": len(flood.requests),
        "names": flood.vendor_names,
        "first": arrived[0],
        "last": arrived[-1],
        "requests": [request_json(r) for r in flood.requests],
    }


@bp.post("/requests/deny-all")
@owner_required
def deny_all():
    """Say no to every request listed in the form (a flood, as the page showed it)."""
    pod = current_pod()
    denied = 0
    for request_id in request.form.getlist("request"):
        with contextlib.suppress(RequestNotFound, AlreadyDecided):
            pod.decisions.deny(request_id)
            denied += 1
    flash(f"You said no to {denied} request{'s' if denied != 1 else ''}.")
    return redirect(url_for("web.requests_page"))


def _chosen_scopes(request_id: str) -> list[Scope]:
    """What the customer ticked on the request's card (checked against the request later)."""
    asked = current_pod().requests.get(request_id)
    chosen = []
    for index, scope in enumerate(asked.scopes):
        if not request.form.get(f"scope-{index}"):
            continue
        modes = frozenset(request.form.getlist(f"scope-{index}-mode")) or scope.modes
        fields = None
        if scope.fields is not None or fields_of(scope.resource):
            fields = frozenset(request.form.getlist(f"scope-{index}-field"))
            if not fields:
                continue
        chosen.append(Scope(scope.resource, modes, fields))
    return chosen


@bp.get("/activity")
@owner_required
def activity():
    pod = current_pod()
    names = pod.grants.vendor_names()
    vendor = request.args.get("vendor") or None
    outcome = request.args.get("outcome") or None
    if outcome not in (None, Outcome.ALLOWED, Outcome.REFUSED):
        abort(400, "Outcome is 'allowed' or 'refused'.")
    now, zone = pod.now(), customer_zone()
    recent = pod.activity.events(since=now - dt.timedelta(days=CHART_DAYS), limit=MAX_EVENTS)
    return render_template(
        "activity.html",
        entries=timeline(pod.activity.events(actor=vendor, outcome=outcome, limit=500), zone),
        names=names,
        vendor=vendor,
        outcome=outcome,
        chart=activity_chart(charted(recent), names, now, zone),
    )


@bp.get("/updates.json")
@owner_required
def updates():
    """What the page polls to show new requests without a reload."""
    pending = current_pod().requests.list("pending")
    return jsonify(pending=len(pending), latest=pending[0].id if pending else None)


def _field_names() -> dict[str, dict[str, dict[str, str]]]:
    """Resource -> field IRI -> {name, description}, for showing requests in plain words."""
    return {r: {f["iri"]: f for f in fields_of(r)} for r in ("/profile", "/preferences")}
