"""The IEEE 7012 agreement of a request, step by step, as the customer reads it (§17)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from pds.consent.agreement_records import AgreementRecord
from pds.consent.agreements import (
    ACCEPT,
    ALTERNATIVE,
    ANSWER,
    PROFFER,
    roster,
)
from pds.server.current import current_pod
from pds.server.web.blueprint import bp
from pds.server.web.session import owner_required


@bp.app_context_processor
def _agreement_helpers() -> dict[str, Any]:
    """The roster, for the pages that show an agreement in plain words."""
    return {"agreement_roster": roster()}


@bp.get("/requests/<request_id>/agreement")
@owner_required
def agreement_page(request_id: str):
    pod = current_pod()
    access_request = pod.requests.get(request_id)
    records = pod.agreements.records(request_id)
    return render_template(
        "agreement.html",
        req=access_request,
        records=[(r, record_words(r)) for r in records],
    )


def record_words(record: AgreementRecord) -> str:
    """What happened at this step, said to the customer."""
    claims = record.claims()
    if record.interaction == PROFFER:
        return f"You offered your agreement: {_title(claims.get('proffered'))}."
    if record.interaction == ANSWER:
        if claims.get("answer") == ACCEPT:
            return f"They accepted it: {_title(claims.get('proffered'))}."
        if claims.get("answer") == ALTERNATIVE:
            return f"They proposed another one instead: {_title(claims.get('alternative'))}."
        return "They rejected it and proposed no other."
    context = claims.get("context", {})
    who = "Your standing rule" if context.get("standing_rule") else "You"
    agreed = claims.get("agreed")
    if agreed:
        return f"{who} allowed access under {_title(agreed)}."
    if context.get("access") == "approved":
        return f"{who} allowed access without an agreement."
    return f"{who} said no."


def _title(agreement_id: Any) -> str:
    agreement = roster().get(agreement_id) if isinstance(agreement_id, str) else None
    return f"{agreement.title} ({agreement.id})" if agreement else "an unknown agreement"
