"""The owner's standing rules over HTTP: list, add, remove, and the digest of what they decided."""

from __future__ import annotations

from flask import Blueprint

from pds.consent.rules import RuleDecision
from pds.server.auth import require_owner
from pds.server.current import current_pod
from pds.server.http import read_json
from pds.server.representations import request_json

bp = Blueprint("owner_rules", __name__, url_prefix="/owner/rules")


@bp.before_request
def _owner_only():
    require_owner()


@bp.get("")
def list_rules():
    return {"rules": [r.to_json() for r in current_pod().rules.listed()]}


@bp.post("")
def add_rule():
    rule = current_pod().rules.add(read_json())
    return rule.to_json(), 201


@bp.delete("/<rule_id>")
def remove_rule(rule_id: str):
    current_pod().rules.remove(rule_id)
    return "", 204


def _decision_json(d: RuleDecision) -> dict:
    return {
        "rule": d.rule_id,
        "decision": d.decision,
        "at": d.at.isoformat(),
        "undone": d.undone,
        "request": request_json(d.request),
    }


@bp.get("/digest")
def digest():
    return {"decided": [_decision_json(d) for d in current_pod().rules.digest()]}


@bp.post("/digest/<request_id>/undo")
def undo(request_id: str):
    return request_json(current_pod().rules.undo(request_id))
