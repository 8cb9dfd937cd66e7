"""Who can see what: each vendor's access, how it was used, and taking it back or shortening it
in one click; the readable receipt beside the signed one."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for

from pds.consent import Grant
from pds.consent.activity import GrantUse
from pds.consent.inputs import is_id
from pds.server import metrics
from pds.server.current import current_pod
from pds.server.representations import grant_json
from pds.server.web.blueprint import bp
from pds.server.web.session import owner_required
from pds.server.web.words import describe_duration

# An access this close to its end is flagged, on the home page too, so the customer can let it
# end, or see it coming.
ENDING_SOON = dt.timedelta(days=3)
# One-click shorter ends, offered when they are earlier than the current end.
SHORTER = [
    ("1 hour", dt.timedelta(hours=1)),
    ("1 day", dt.timedelta(days=1)),
    ("1 week", dt.timedelta(days=7)),
]


@dataclasses.dataclass(frozen=True)
class Shown:
    """A grant as its page and the vendor cards show it."""

    grant: dict[str, Any]
    use: GrantUse
    time_left: str  # '29 days left', '' once it ended
    ending_soon: bool
    shorter: list[tuple[str, int]]  # ('1 day', 86400) for each one-click shorter end


def time_left(end: dt.datetime, now: dt.datetime) -> str:
    """'30 days left', '5 hours left', 'less than a minute left': to the nearest unit."""
    seconds = int((end - now).total_seconds())
    if seconds <= 0:
        return ""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size)  # a 30-day access just given has 30 days left, not 29
            return f"{count} {unit}{'s' if count != 1 else ''} left"
    return "less than a minute left"


def shown(grants: list[Grant]) -> list[Shown]:
    pod = current_pod()
    now = pod.now()
    uses = pod.activity.grant_uses([g.id for g in grants])
    result = []
    for g in grants:
        active = g.state == "active"
        result.append(
            Shown(
                grant=grant_json(g),
                use=uses[g.id],
                time_left=time_left(g.expires_at, now) if active else "",
                ending_soon=active and g.expires_at - now <= ENDING_SOON,
                shorter=[
                    (label, int(delta.total_seconds()))
                    for label, delta in SHORTER
                    if active and now + delta < g.expires_at - dt.timedelta(minutes=1)
                ],
            )
        )
    return result


@bp.get("/grants")
@owner_required
def grants_page():
    """Active accesses, one card per vendor, then everything that ended."""
    grants = current_pod().grants.list()
    active = shown([g for g in grants if g.state == "active"])
    vendors: dict[str, list[Shown]] = {}
    for s in active:
        vendors.setdefault(s.grant["vendor_id"], []).append(s)
    return render_template(
        "grants.html",
        vendors=list(vendors.values()),
        past=[grant_json(g) for g in grants if g.state != "active"],
    )


@bp.get("/vendors/<vendor_id>")
@owner_required
def vendor_page(vendor_id: str):
    """Everything one vendor was given, used and asked, with the export for an authority."""
    grants = current_pod().grants.list(vendor_id) if is_id(vendor_id) else []
    if not grants:
        abort(404, "No vendor with this id was ever given access to your data.")
    return render_template("vendor.html", vendor_id=vendor_id, grants=shown(grants))


@bp.get("/grants/<grant_id>")
@owner_required
def grant_page(grant_id: str):
    pod = current_pod()
    grant = pod.grants.get(grant_id)
    return render_template(
        "grant.html",
        shown=shown([grant])[0],
        grant=grant_json(grant),
        events=pod.activity.events(grant_id=grant_id, limit=50),
        receipt=grant.receipt_claims(),
        names=pod.grants.vendor_names(),
        term_titles={t["id"]: t["title"] for t in pod.terms.current()},
    )


@bp.get("/grants/<grant_id>/revoke")
@owner_required
def confirm_revoke(grant_id: str):
    """Old links to the confirmation page: taking back is one click on the grant's page now."""
    current_pod().grants.get(grant_id)  # 404 for a grant that does not exist
    return redirect(url_for("web.grant_page", grant_id=grant_id, _anchor="take-back"))


@bp.post("/grants/<grant_id>/revoke")
@owner_required
def revoke(grant_id: str):
    grants = current_pod().grants
    was_active = grants.get(grant_id).revoked_at is None  # revoking again changes nothing
    grant = grants.revoke(grant_id, ask_deletion=request.form.get("delete") == "yes")
    if was_active:
        metrics.grant_revoked("owner")
    name = grant.vendor.get("name", "The vendor")
    still = [g for g in grants.list(grant.vendor_id) if g.state == "active"]
    said = f"{name} can no longer see your data."
    if still:  # say exactly what ended: they keep their other accesses
        said = (
            f"{name} lost the access you gave them {grant.purpose['description']}."
            f" They still have {len(still)} other {'access' if len(still) == 1 else 'accesses'}."
        )
    asked = " They were asked to delete what they hold." if grant.deletion_requested_at else ""
    flash(f"{said}{asked}")
    return redirect(_back_to(grant))


@bp.post("/grants/<grant_id>/shorten")
@owner_required
def shorten(grant_id: str):
    pod = current_pod()
    seconds = request.form.get("seconds", "")
    choices = {int(d.total_seconds()) for _, d in SHORTER}
    if not seconds.isdigit() or int(seconds) not in choices:
        abort(400, "Choose one of the shorter times offered.")
    until = pod.now() + dt.timedelta(seconds=int(seconds))
    grant = pod.grants.shorten(grant_id, until)
    name = grant.vendor.get("name", "The vendor")
    flash(f"{name} can see your data for {describe_duration(int(seconds))} more, no longer.")
    return redirect(_back_to(grant))


@bp.post("/grants/<grant_id>/deletion")
@owner_required
def ask_deletion(grant_id: str):
    """For an access that already ended: ask the vendor to delete what it holds."""
    grant = current_pod().grants.ask_deletion(grant_id)
    flash(f"{grant.vendor.get('name', 'The vendor')} was asked to delete what it holds.")
    return redirect(_back_to(grant))


@bp.get("/grants/<grant_id>/receipt")
@owner_required
def receipt_page(grant_id: str):
    """The consent receipt in plain words, laid out to print."""
    grant = current_pod().grants.get(grant_id)
    return render_template(
        "receipt.html",
        grant=grant_json(grant),
        receipt=grant.receipt_claims(),
        term_titles={t["id"]: t["title"] for t in current_pod().terms.current()},
    )


@bp.get("/grants/<grant_id>/receipt.jwt")
@owner_required
def download_receipt(grant_id: str):
    grant = current_pod().grants.get(grant_id)
    return Response(
        grant.receipt,
        mimetype="application/jwt",
        headers={"Content-Disposition": f'attachment; filename="consent-receipt-{grant.id}.jwt"'},
    )


def _back_to(grant: Grant) -> str:
    """Where a one-click action returns: the page it was clicked on (one of ours, by name)."""
    back = request.form.get("back", "")
    if back == "grants":
        return url_for("web.grants_page")
    if back == "vendor":
        return url_for("web.vendor_page", vendor_id=grant.vendor_id)
    return url_for("web.grant_page", grant_id=grant.id)
