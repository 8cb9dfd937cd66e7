"""Who was told about your changes: for each change of your data, the vendors sent a notice of
it, and whether each vendor's service acknowledged it, is still being tried, or was given up."""

from __future__ import annotations

from flask import render_template

from pds.consent.scopes import fields_of
from pds.consent.told import DataChange
from pds.server.current import current_pod
from pds.server.web.blueprint import bp
from pds.server.web.session import owner_required

_DOCUMENT_WORDS = {"/profile": "your profile", "/preferences": "your preferences"}
_VERBS = {"created": "added", "changed": "changed", "deleted": "deleted"}
_PLACES = {"added": "to", "changed": "in", "deleted": "from"}
VENDORS = "/vendors/"


@bp.get("/told")
@owner_required
def told():
    pod = current_pod()
    return render_template(
        "told.html",
        changes=pod.notices.recent(),
        without_callback=pod.notices.vendors_without_callback(),
        names=pod.grants.vendor_names(),
        change_words=change_words,
        seen_words=seen_words,
    )


def change_words(change: DataChange, names: dict[str, str]) -> str:
    """'You changed your profile', 'You added the record “note” to the records of Dealer Ltd'."""
    verb = _VERBS.get(change.kind, "changed")
    if change.path in _DOCUMENT_WORDS:
        return f"You {verb} {_DOCUMENT_WORDS[change.path]}"
    if change.path.startswith(VENDORS):
        vendor_id, _, name = change.path[len(VENDORS) :].partition("/")
        keeper = names.get(vendor_id, "a vendor")
        return f"You {verb} the record “{name}” {_PLACES[verb]} the records of {keeper}"
    return f"You {verb} {change.path}"


def seen_words(path: str, fields: frozenset[str] | None) -> str:
    """What a grant limited to `fields` sees of the document: 'postal address', ''."""
    if not fields:
        return ""
    known = fields_of(path)
    said = [f["name"].lower() for f in known if f["iri"] in fields]
    said += sorted(fields - {f["iri"] for f in known})
    return " and ".join([", ".join(said[:-1]), said[-1]] if len(said) > 1 else said)
