"""JSON shapes of consent objects, shared by the owner API and (later) the consent page."""

from __future__ import annotations

from typing import Any

from pds.consent.agreements import roster
from pds.consent.grants import Grant
from pds.consent.requests import AccessRequest, purposes
from pds.consent.scopes import Scope, fields_of


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def scope_json(scope: Scope) -> dict[str, Any]:
    """A scope with the human names of its fields, as the customer should read it."""
    out = scope.to_json()
    names = {f["iri"]: f["name"] for f in fields_of(scope.resource)}
    if scope.fields is not None:
        out["field_names"] = [names.get(f, f) for f in sorted(scope.fields)]
    return out


def purpose_json(purpose: dict[str, str]) -> dict[str, str]:
    known = purposes().get(purpose["iri"], {})
    return {**purpose, "label": known.get("label", purpose["iri"])}


def request_json(r: AccessRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "status": r.status,
        "vendor_id": r.vendor_id,
        "vendor": r.vendor,
        "scopes": [scope_json(s) for s in r.scopes],
        "purpose": purpose_json(r.purpose),
        "duration_seconds": r.duration_seconds,
        "terms": r.terms,
        "callback": r.callback,
        "created_at": _iso(r.created_at),
        "decided_at": _iso(r.decided_at),
        "grant_id": r.grant_id,
        "agreement": r.agreement.to_json() if r.agreement else None,  # the vendor's answer
    }


def grant_json(g: Grant) -> dict[str, Any]:
    return {
        "id": g.id,
        "state": g.state,
        "request_id": g.request_id,
        "vendor_id": g.vendor_id,
        "vendor": g.vendor,
        "scopes": [scope_json(s) for s in g.scopes],
        "purpose": purpose_json(g.purpose),
        "terms": g.terms,
        "callback": g.callback,
        "issued_at": _iso(g.issued_at),
        "expires_at": _iso(g.expires_at),
        "revoked_at": _iso(g.revoked_at),
        "revoked_by": g.revoked_by,
        "status_index": g.status_index,
        "agreement": roster()[g.agreement].reference() if g.agreement else None,
        # Stop and delete (§19): None, "asked" or "confirmed", and what each side signed.
        "deletion": g.deletion,
        "deletion_requested_at": _iso(g.deletion_requested_at),
        "deletion_acknowledged_at": _iso(g.deletion_acknowledged_at),
        "deletion_statement": g.deletion_statement,
        "deletion_ack": g.deletion_ack,
        "deletion_receipt": g.deletion_receipt,
    }
