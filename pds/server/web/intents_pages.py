"""Intents and the offers that answer them: write an intent, see exactly what vendors will see,
publish, compare offers side by side, accept one (choosing what the vendor may see) or say no."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for

from pds.consent import ConsentError, IntentDraft
from pds.consent.categories import categories
from pds.consent.scopes import fields_of
from pds.resources import ShapeViolation
from pds.server import metrics
from pds.server.current import current_pod
from pds.server.web.blueprint import bp, customer_zone
from pds.server.web.session import owner_required
from pds.server.web.words import describe_period

INTENT_ACTIONS = {
    "publish": "Published: vendors can now send offers.",
    "pause": "Paused: no offers until you resume.",
    "resume": "Resumed: vendors can send offers again.",
    "close": "Closed: no more offers. The offers you have stay here.",
}
STATE_WORDS = {
    "draft": "Not published",
    "published": "Taking offers",
    "paused": "Paused",
    "closed": "Closed",
    "received": "New",
    "shortlisted": "Shortlisted",
    "declined": "Declined",
    "accepted": "Accepted",
}
DRAFT_FIELDS = (
    "name", "category", "description", "min_price", "max_price", "currency",
    "locality", "country", "radius_km", "wanted_by", "offers_until",
)  # fmt: skip


@bp.get("/intents")
@owner_required
def intents_page():
    return _intents_page()


def _intents_page(status: int = 200, typed: dict[str, str] | None = None, problem: str = ""):
    today = current_pod().now().date()
    typed = typed or {"offers_until": (today + dt.timedelta(days=30)).isoformat()}
    return render_template(
        "intents.html",
        intents=current_pod().intents.all(),
        categories=categories(),
        typed=typed,
        problem=problem,
        state_words=STATE_WORDS,
    ), status


def _typed() -> dict[str, str]:
    """The intent form as posted, every value as typed."""
    typed = {name: request.form.get(name, "") for name in DRAFT_FIELDS}
    typed["must_have"] = request.form.get("must_have", "")
    return typed


def _draft(typed: dict[str, str]) -> IntentDraft:
    return IntentDraft(
        **{name: typed[name] for name in DRAFT_FIELDS},
        must_have=tuple(line.strip() for line in typed["must_have"].splitlines() if line.strip()),
    )


def _problem(exc: ShapeViolation) -> str:
    return " ".join(v["message"] for v in exc.violations)


@bp.post("/intents")
@owner_required
def create_intent():
    typed = _typed()
    try:
        intent = current_pod().intents.create(_draft(typed))
    except ShapeViolation as exc:
        return _intents_page(400, typed, _problem(exc))
    flash("Saved. Check what vendors will see, then publish it.")
    return redirect(url_for("web.intent_page", intent_id=intent.id))


@bp.post("/intents/<intent_id>/edit")
@owner_required
def edit_intent(intent_id: str):
    typed = _typed()
    try:
        current_pod().intents.edit(intent_id, _draft(typed))
    except ShapeViolation as exc:
        return _intent_page(intent_id, 400, typed, _problem(exc))
    except ConsentError as exc:
        flash(f"Not saved: {exc}.", "error")
        return redirect(url_for("web.intent_page", intent_id=intent_id))
    flash("Saved. Check what vendors will see, then publish it.")
    return redirect(url_for("web.intent_page", intent_id=intent_id))


@bp.get("/intents/<intent_id>")
@owner_required
def intent_page(intent_id: str):
    return _intent_page(intent_id)


def _intent_page(
    intent_id: str, status: int = 200, typed: dict[str, str] | None = None, problem: str = ""
):
    pod = current_pod()
    intent = pod.intents.get(intent_id)
    preview = pod.intents.preview(intent_id) if intent.published else None
    offers = pod.offers.for_intent(intent_id)
    term_titles = {t["id"]: t["title"] for t in pod.terms.current()}
    if typed is None and preview is not None:
        typed = _typed_from(preview.published)
    return render_template(
        "intent.html",
        typed=typed or {},
        problem=problem,
        categories=categories(),
        intent=intent,
        preview=preview,
        offers=offers,
        fields=fields_of("/profile"),
        announced=pod.relays.of(intent_id),
        term_titles=term_titles,
        state_words=STATE_WORDS,
        offer_threads={t.offer_id: t for t in pod.threads.all() if t.offer_id},
    ), status


def _typed_from(published: dict) -> dict[str, str]:
    """The form's values for an intent as published (to edit a draft)."""
    budget, near = published.get("budget") or {}, published.get("near") or {}
    values = {
        "name": published.get("name"),
        "category": (published.get("category") or {}).get("id"),
        "description": published.get("description"),
        "must_have": "\n".join(published.get("must_have") or []),
        "min_price": budget.get("min"),
        "max_price": budget.get("max"),
        "currency": budget.get("currency"),
        "locality": near.get("locality"),
        "country": near.get("country"),
        "radius_km": near.get("radius_km"),
        "wanted_by": published.get("wanted_by"),
        "offers_until": published.get("offers_until"),
    }
    return {name: value or "" for name, value in values.items()}


@bp.post("/intents/<intent_id>/<any(publish, pause, resume, close):action>")
@owner_required
def change_intent(intent_id: str, action: str):
    intents = current_pod().intents
    try:
        getattr(intents, action)(intent_id)
        flash(INTENT_ACTIONS[action])
    except ConsentError as exc:
        flash(f"Not done: {exc}.", "error")
    return redirect(url_for("web.intent_page", intent_id=intent_id))


@bp.post("/offers/<offer_id>/<any(shortlist, decline, accept):action>")
@owner_required
def decide_offer(offer_id: str, action: str):
    pod = current_pod()
    offer = pod.offers.get(offer_id)
    back = url_for("web.intent_page", intent_id=offer.intent_id) + f"#offer-{offer.id}"
    name = offer.vendor.get("name", "the vendor")
    try:
        if action == "shortlist":
            pod.offers.shortlist(offer_id)
            flash(f"{name} is on your shortlist.")
        elif action == "decline":
            pod.offers.decline(offer_id)
            flash(f"You said no to {name}. They will see it.")
        else:
            fields = request.form.getlist("field")
            if not fields:
                flash("Tick at least one thing they may see, such as your name.", "error")
                return redirect(back)
            grant = pod.offers.accept(
                offer_id,
                fields,
                decline_others=request.form.get("decline_others") == "yes",
                records=request.form.get("records") == "yes",
            )
            metrics.grant_issued("offer")
            period = describe_period(grant.issued_at, grant.expires_at, customer_zone())
            flash(f"Accepted. {name} can now see what you ticked, {period}.")
            return redirect(url_for("web.grant_page", grant_id=grant.id))
    except ConsentError as exc:
        flash(f"Not done: {exc}.", "error")
    return redirect(back)
