"""The owner's intents and the offers vendors sent to them (the personal RFP, §14)."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint

from pds.consent import Intent, IntentDraft, InvalidInput, Offer
from pds.server import metrics
from pds.server.auth import require_owner
from pds.server.current import current_pod
from pds.server.http import read_json
from pds.server.representations import grant_json

bp = Blueprint("intents", __name__, url_prefix="/owner")


@bp.before_request
def _owner_only():
    require_owner()


@bp.get("/relays")
def relays():
    return {"relays": current_pod().relays.chosen()}


@bp.put("/relays")
def choose_relays():
    """{"relays": [base URLs]}: where intents published from now on are announced."""
    return {"relays": current_pod().relays.choose(read_json().get("relays"))}


@bp.get("/intents")
def list_intents():
    return {"intents": [intent_json(i) for i in current_pod().intents.all()]}


@bp.post("/intents")
def create_intent():
    """A new intent from JSON: the members of IntentDraft, as text (must_have: a list)."""
    intent = current_pod().intents.create(draft_from(read_json()))
    return intent_json(intent), 201, {"Location": intent.path}


def draft_from(values: dict[str, Any]) -> IntentDraft:
    """An IntentDraft from JSON or form values; unknown names refused, every value text."""
    known = {f.name for f in dataclasses.fields(IntentDraft)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InvalidInput(
            f"unknown field(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    must_have = values.get("must_have", [])
    if not isinstance(must_have, list) or not all(isinstance(m, str) for m in must_have):
        raise InvalidInput("must_have is a list of texts")
    texts = {k: v for k, v in values.items() if k != "must_have"}
    for name, value in texts.items():
        if not isinstance(value, str):
            raise InvalidInput(f"{name} is text")
    for name in ("name", "category", "offers_until"):
        if not texts.get(name, "").strip():
            raise InvalidInput(f"{name} is required")
    return IntentDraft(**texts, must_have=tuple(m for m in must_have if m.strip()))


@bp.get("/intents/<intent_id>")
def get_intent(intent_id: str):
    return intent_json(current_pod().intents.get(intent_id))


@bp.put("/intents/<intent_id>")
def edit_intent(intent_id: str):
    """Rewrite a draft (as for POST /owner/intents); a published intent: 409 intent-not-open."""
    return intent_json(current_pod().intents.edit(intent_id, draft_from(read_json())))


@bp.get("/intents/<intent_id>/preview")
def preview(intent_id: str):
    """Exactly what publishing would show vendors, and what in it may give the customer away."""
    shown = current_pod().intents.preview(intent_id)
    return {"published": shown.published, "warnings": shown.warnings}


@bp.post("/intents/<intent_id>/<action>")
def change(intent_id: str, action: str):
    intents = current_pod().intents
    moves = {
        "publish": intents.publish,
        "pause": intents.pause,
        "resume": intents.resume,
        "close": intents.close,
    }
    if action not in moves:
        raise InvalidInput(f"an intent can be {', '.join(f'{m}ed' for m in moves)}, not {action}")
    return intent_json(moves[action](intent_id))


@bp.get("/intents/<intent_id>/offers")
def list_offers(intent_id: str):
    return {"offers": [offer_json(o) for o in current_pod().offers.for_intent(intent_id)]}


@bp.post("/offers/<offer_id>/shortlist")
def shortlist(offer_id: str):
    return offer_json(current_pod().offers.shortlist(offer_id))


@bp.post("/offers/<offer_id>/decline")
def decline(offer_id: str):
    return offer_json(current_pod().offers.decline(offer_id))


@bp.post("/offers/<offer_id>/accept")
def accept(offer_id: str):
    """{"fields": [IRIs of /profile], "duration_seconds": n, "decline_others": bool,
    "records": bool (it may keep records in its own container)} -> the grant."""
    body = read_json()
    fields = body.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise InvalidInput("fields is the list of profile field IRIs the vendor may see")
    options: dict[str, Any] = {}
    if body.get("duration_seconds") is not None:
        options["duration_seconds"] = body["duration_seconds"]
    for name in ("decline_others", "records"):
        if not isinstance(body.get(name, False), bool):
            raise InvalidInput(f"{name} is true or false")
        options[name] = body.get(name, False)
    grant = current_pod().offers.accept(offer_id, fields, **options)
    metrics.grant_issued("offer")
    return grant_json(grant), 201


def intent_json(intent: Intent) -> dict[str, Any]:
    announced = current_pod().relays.of(intent.id)
    return {
        "announced": [
            {
                "relay": a.relay,
                "reply_to": a.reply_url,
                "announced_at": a.announced_at.isoformat() if a.announced_at else None,
                "withdrawn_at": a.withdrawn_at.isoformat() if a.withdrawn_at else None,
                "error": a.error,
            }
            for a in announced
        ],
        "id": intent.id,
        "path": intent.path,
        "status": intent.status,
        "public_id": intent.public_id,
        "reply_to": intent.reply_url,
        "published_at": intent.published_at.isoformat() if intent.published_at else None,
        "closed_at": intent.closed_at.isoformat() if intent.closed_at else None,
        "published": intent.published,
    }


def offer_json(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "intent": offer.intent_id,
        "status": offer.status,
        "vendor_id": offer.vendor_id,
        "vendor": offer.vendor,
        "summary": offer.summary,
        "price": offer.price,
        "valid_until": offer.valid_until,
        "link": offer.link,
        "terms": offer.terms,
        "received_at": offer.received_at.isoformat(),
        "decided_at": offer.decided_at.isoformat() if offer.decided_at else None,
        "access_request": offer.request_id,
    }
