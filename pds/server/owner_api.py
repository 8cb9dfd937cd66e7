"""The owner API: claim the pod, change the password, manage API tokens, read the audit log.

Everything the consent page does goes through these endpoints or the data API.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, request

from pds.server.auth import require_owner
from pds.server.current import current_pod
from pds.server.http import field, read_json
from pds.server.problems import Problem

bp = Blueprint("owner", __name__, url_prefix="/owner")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


@bp.get("")
def status():
    pod = current_pod()
    return {"pod": pod.base_url, "claimed": pod.account.is_claimed()}


@bp.post("/claim")
def claim():
    data = read_json()
    current_pod().account.claim(field(data, "setup_code"), field(data, "password"))
    return {"claimed": True}, 201


@bp.post("/password")
def change_password():
    require_owner()
    data = read_json()
    current_pod().account.change_password(field(data, "old_password"), field(data, "new_password"))
    return "", 204


@bp.get("/tokens")
def list_tokens():
    require_owner()
    return {
        "tokens": [
            {
                "id": t.id,
                "name": t.name,
                "created_at": _iso(t.created_at),
                "last_used_at": _iso(t.last_used_at),
                "revoked_at": _iso(t.revoked_at),
            }
            for t in current_pod().account.list_tokens()
        ]
    }


@bp.post("/tokens")
def create_token():
    require_owner(allow_password=True)
    data = read_json()
    token, secret = current_pod().account.create_token(field(data, "name"))
    body = {
        "id": token.id,
        "name": token.name,
        "created_at": _iso(token.created_at),
        "token": secret,
    }
    return body, 201, {"Cache-Control": "no-store"}


@bp.delete("/tokens/<token_id>")
def revoke_token(token_id: str):
    require_owner()
    current_pod().account.revoke_token(token_id)
    return "", 204


@bp.get("/audit")
def audit_log():
    require_owner()
    args = request.args
    try:
        limit = min(int(args.get("limit", 100)), 1000)
        before = int(args["before"]) if "before" in args else None
        if before is not None and not 0 < before < 2**63:
            raise ValueError("before is an event id")
        since = _moment(args["since"]) if "since" in args else None
        until = _moment(args["until"]) if "until" in args else None
    except ValueError:
        raise Problem(
            400,
            "invalid-query",
            "Invalid query",
            "limit and before are numbers; since and until are ISO 8601 times",
        ) from None
    for moment in (since, until):
        if moment is not None and moment.tzinfo is None:
            raise Problem(
                400,
                "invalid-query",
                "Invalid query",
                "since and until need a time zone, as in 2026-11-23T10:00:00+00:00",
            )
    events = current_pod().activity.events(
        actor=args.get("actor"),
        action=args.get("action"),
        outcome=args.get("outcome"),
        resource=args.get("resource"),
        grant_id=args.get("grant"),
        since=since,
        until=until,
        before_id=before,
        limit=limit,
    )
    return {
        "events": [
            {
                "id": e.id,
                "at": _iso(e.at),
                "actor": e.actor,
                "action": e.action,
                "resource": e.resource,
                "outcome": e.outcome,
                "grant": e.grant_id,
                "detail": e.detail,
            }
            for e in events
        ]
    }


def _moment(text: str) -> dt.datetime:
    """An ISO 8601 time a database can hold: in UTC it must stay within years 1 to 9999."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        try:
            moment.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError("out of range") from None
    return moment
