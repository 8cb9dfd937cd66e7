"""The customer's own terms (IEEE 7012 style): vendors must accept them to be granted access."""

from __future__ import annotations

import re
from typing import Any

from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.context import PodContext
from pds.consent.errors import InvalidInput
from pds.store import pods

DEFAULT_TERMS: list[dict[str, Any]] = [
    {
        "id": "use-for-stated-purpose",
        "title": "Only for the stated purpose",
        "required": True,
        "text": "You use my data only for the purpose you stated when you asked for it.",
    },
    {
        "id": "no-resale",
        "title": "No selling or sharing",
        "required": True,
        "text": "You do not sell my data, and do not share it with anyone else.",
    },
    {
        "id": "delete-when-ended",
        "title": "Forget it when the grant ends",
        "required": True,
        "text": "You delete what you read when the grant expires or I revoke it.",
    },
    {
        "id": "no-tracking",
        "title": "No tracking",
        "required": False,
        "text": "You do not track me across other sites or services.",
    },
]
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def current_terms(pod_settings: dict[str, Any]) -> list[dict[str, Any]]:
    return pod_settings.get("terms") or DEFAULT_TERMS


def validate_terms(raw: Any) -> list[dict[str, Any]]:
    """Check a list of terms the customer wants to proffer."""
    if not isinstance(raw, list) or not raw or len(raw) > 50:
        raise InvalidInput("terms must be a list of 1 to 50 entries")
    out, seen = [], set()
    for term in raw:
        if not isinstance(term, dict):
            raise InvalidInput("each term is an object with id, title, text and required")
        term_id, title, text = term.get("id"), term.get("title"), term.get("text")
        if not isinstance(term_id, str) or not _ID.fullmatch(term_id) or term_id in seen:
            raise InvalidInput(f"term id {term_id!r} must be unique, lowercase letters, digits, -")
        if not isinstance(title, str) or not 0 < len(title) <= 120:
            raise InvalidInput(f"term {term_id}: a title of 1 to 120 characters is needed")
        if not isinstance(text, str) or not 0 < len(text) <= 2000:
            raise InvalidInput(f"term {term_id}: a text of 1 to 2000 characters is needed")
        seen.add(term_id)
        out.append(
            {
                "id": term_id,
                "title": title,
                "text": text,
                "required": bool(term.get("required", True)),
            }
        )
    return out


def known_ids(terms: list[dict[str, Any]], accepted: Any) -> list[str]:
    """The accepted term ids, sorted; refused if one is not among `terms`."""
    if not isinstance(accepted, list) or not all(isinstance(t, str) for t in accepted):
        raise InvalidInput("terms must be a list of the term ids the vendor accepts")
    known = {t["id"] for t in terms}
    unknown = sorted(set(accepted) - known)
    if unknown:
        raise InvalidInput(
            f"unknown term(s): {', '.join(unknown)}; this pod's terms are "
            + ", ".join(sorted(known))
        )
    return sorted(set(accepted))


def check_accepted(terms: list[dict[str, Any]], accepted: Any) -> list[str]:
    """The accepted term ids, refused unless every required term is among them."""
    known_ids(terms, accepted)
    missing = sorted(t["id"] for t in terms if t["required"] and t["id"] not in accepted)
    if missing:
        raise InvalidInput(
            f"the customer requires these terms to be accepted: {', '.join(missing)}"
        )
    return sorted(set(accepted))


class CustomerTerms:
    """The terms this pod's customer proffers to every vendor."""

    def __init__(self, ctx: PodContext):
        self.ctx = ctx

    def current(self) -> list[dict[str, Any]]:
        with self.ctx.store.read() as conn:
            return current_terms(pods.get(conn, self.ctx.id).settings)

    def replace(self, raw: Any) -> list[dict[str, Any]]:
        """Replace the terms; grants already given keep the terms they were given on."""
        checked = validate_terms(raw)
        with self.ctx.store.begin() as conn:
            settings = dict(pods.lock(conn, self.ctx.id).settings)
            settings["terms"] = checked
            pods.update(conn, self.ctx.id, settings=settings)
            self.ctx.record(
                conn,
                OWNER,
                Action.TERMS_UPDATE,
                Outcome.OK,
                detail={"terms": [t["id"] for t in checked]},
            )
        return checked
