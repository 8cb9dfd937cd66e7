"""Home, requests, grants and activity pages."""

from __future__ import annotations

import datetime as dt

import jwt
from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for

from pds.consent.scopes import fields_of
from pds.server.representations import grant_json, request_json
from pds.server.services import services
from pds.server.web import bp
from pds.server.web.activity import activity_chart, vendor_names
from pds.server.web.session import owner_required
from pds.store import audit
from pds.store.store import utcnow

DURATION_CHOICES = [
    ("1 hour", 3600),
    ("1 day", 86400),
    ("1 week", 7 * 86400),
    ("30 days", 30 * 86400),
    ("90 days", 90 * 86400),
    ("1 year", 365 * 86400),
]


@bp.get("/")
@owner_required
def home():
    consent = services().consent
    now = utcnow()
    pending = [request_json(r) for r in consent.requests.list("pending")]
    grants = [grant_json(g) for g in consent.grants.list()]
    expiring = [
        g
        for g in grants
        if g["state"] == "active"
        and dt.datetime.fromisoformat(g["expires_at"]) - now < dt.timedelta(days=7)
    ]
    with services().store.read() as conn:
        refused = audit.query(
            conn, services().pod.id, outcome="refused", since=now - dt.timedelta(days=7), limit=20
        )
    refused = [e for e in refused if e.action.startswith("data.")]
    return render_template(
        "home.html",
        pending=pending,
        expiring=expiring,
        refused=refused,
        names=vendor_names(consent),
        active=sum(g["state"] == "active" for g in grants),
    )


@bp.get("/requests")
@owner_required
def requests_page():
    consent = services().consent
    pending = [request_json(r) for r in consent.requests.list("pending")]
    decided = [request_json(r) for r in consent.requests.list() if r.status != "pending"][:20]
    return render_template(
        "requests.html",
        pending=pending,
        decided=decided,
        fields=_field_names(),
        durations=DURATION_CHOICES,
        term_titles={t["id"]: t["title"] for t in consent.terms()},
    )


@bp.post("/requests/<request_id>/decide")
@owner_required
def decide(request_id: str):
    consent = services().consent
    if request.form.get("decision") == "deny":
        consent.grants.deny(request_id)
        flash("You said no. The vendor has been told.")
        return redirect(url_for("web.requests_page"))
    asked = consent.requests.get(request_id)
    scopes = []
    for index, scope in enumerate(asked.scopes):
        if not request.form.get(f"scope-{index}"):
            continue
        modes = request.form.getlist(f"scope-{index}-mode") or sorted(scope.modes)
        entry = {"resource": scope.resource, "modes": modes}
        if scope.fields is not None or fields_of(scope.resource):
            chosen = request.form.getlist(f"scope-{index}-field")
            if not chosen:
                continue
            entry["fields"] = chosen
        scopes.append(entry)
    if not scopes:
        flash("Choose at least one thing to share, or say no.", "error")
        return redirect(url_for("web.requests_page") + f"#request-{request_id}")
    duration = request.form.get("duration", type=int) or asked.duration_seconds
    grant = consent.grants.approve(
        request_id, scopes=scopes, duration_seconds=min(duration, asked.duration_seconds)
    )
    flash(
        f"Shared with {grant.vendor.get('name', 'the vendor')} until {grant.expires_at:%-d %b %Y}."
    )
    return redirect(url_for("web.grant_page", grant_id=grant.id))


@bp.get("/grants")
@owner_required
def grants_page():
    grants = [grant_json(g) for g in services().consent.grants.list()]
    return render_template(
        "grants.html",
        active=[g for g in grants if g["state"] == "active"],
        past=[g for g in grants if g["state"] != "active"],
    )


@bp.get("/grants/<grant_id>")
@owner_required
def grant_page(grant_id: str):
    consent = services().consent
    grant = consent.grants.get(grant_id)
    with services().store.read() as conn:
        events = audit.query(conn, services().pod.id, grant_id=grant_id, limit=50)
    receipt = jwt.decode(grant.receipt, options={"verify_signature": False})
    return render_template(
        "grant.html",
        grant=grant_json(grant),
        events=events,
        receipt=receipt,
        names=vendor_names(consent),
        term_titles={t["id"]: t["title"] for t in consent.terms()},
    )


@bp.get("/grants/<grant_id>/revoke")
@owner_required
def confirm_revoke(grant_id: str):
    return render_template("revoke.html", grant=grant_json(services().consent.grants.get(grant_id)))


@bp.post("/grants/<grant_id>/revoke")
@owner_required
def revoke(grant_id: str):
    grant = services().consent.grants.revoke(grant_id, by="owner")
    flash(f"{grant.vendor.get('name', 'The vendor')} can no longer see your data.")
    return redirect(url_for("web.grant_page", grant_id=grant_id))


@bp.get("/grants/<grant_id>/receipt.jwt")
@owner_required
def download_receipt(grant_id: str):
    grant = services().consent.grants.get(grant_id)
    return Response(
        grant.receipt,
        mimetype="application/jwt",
        headers={"Content-Disposition": f'attachment; filename="consent-receipt-{grant.id}.jwt"'},
    )


@bp.get("/activity")
@owner_required
def activity():
    consent = services().consent
    names = vendor_names(consent)
    vendor = request.args.get("vendor") or None
    outcome = request.args.get("outcome") or None
    if outcome not in (None, "allowed", "refused"):
        abort(400, "Outcome is 'allowed' or 'refused'.")
    since = utcnow() - dt.timedelta(days=14)
    with services().store.read() as conn:
        events = audit.query(conn, services().pod.id, actor=vendor, outcome=outcome, limit=200)
        accesses = audit.query(conn, services().pod.id, since=since, limit=5000)
    accesses = [e for e in accesses if e.action.startswith("data.")]
    return render_template(
        "activity.html",
        events=events,
        names=names,
        vendor=vendor,
        outcome=outcome,
        chart=activity_chart(accesses, names, utcnow()),
    )


@bp.get("/updates.json")
@owner_required
def updates():
    """What the page polls to show new requests without a reload."""
    pending = services().consent.requests.list("pending")
    return jsonify(pending=len(pending), latest=pending[0].id if pending else None)


def _field_names() -> dict[str, dict[str, str]]:
    """Resource -> field IRI -> {name, description}, for showing requests in plain words."""
    out = {}
    for resource in ("/profile", "/preferences"):
        out[resource] = {f["iri"]: f for f in fields_of(resource)}
    return out
