"""Settings: my terms, API tokens, password, signing keys, export and import."""

from __future__ import annotations

import io

from flask import Response, flash, redirect, render_template, request, url_for

from pds.archive import ArchiveError, export_pod, import_pod
from pds.consent import ConsentError
from pds.server.services import services
from pds.server.web import bp, session
from pds.server.web.session import owner_required
from pds.store.store import utcnow

MAX_IMPORT_BYTES = 256 * 1024 * 1024


def _settings_page(status: int = 200, errors: dict[str, str] | None = None, **context):
    """The settings page; `errors` maps a section (terms, token, password, import) to a message."""
    svc = services()
    return render_template(
        "settings.html",
        terms=svc.consent.terms(),
        tokens=svc.owner.list_tokens(svc.pod.id),
        keys=svc.consent.keys.jwks()["keys"],
        active_kid=svc.consent.keys.active.kid,
        errors=errors or {},
        **context,
    ), status


@bp.get("/settings")
@owner_required
def settings():
    return _settings_page()


@bp.post("/settings/terms")
@owner_required
def save_terms():
    form = request.form
    terms = []
    for index in range(int(form.get("count", 0) or 0) + 1):
        title = form.get(f"term-{index}-title", "").strip()
        text = form.get(f"term-{index}-text", "").strip()
        if form.get(f"term-{index}-remove") or not (title or text):
            continue
        term_id = form.get(f"term-{index}-id") or _term_id(title)
        terms.append(
            {
                "id": term_id,
                "title": title,
                "text": text,
                "required": bool(form.get(f"term-{index}-required")),
            }
        )
    try:
        services().consent.set_terms(terms)
    except ConsentError as exc:
        return _settings_page(400, errors={"terms": str(exc).capitalize()})
    flash("Your terms are saved. Vendors asking from now on must accept them.")
    return redirect(url_for("web.settings") + "#terms")


def _term_id(title: str) -> str:
    words = "".join(c.lower() if c.isalnum() else "-" for c in title if c.isascii())
    return "-".join(w for w in words.split("-") if w)[:60] or "term"


@bp.post("/settings/tokens")
@owner_required
def create_token():
    svc = services()
    try:
        token, secret = svc.owner.create_token(svc.pod.id, request.form.get("name", ""))
    except ConsentError as exc:
        return _settings_page(400, errors={"token": str(exc).capitalize()})
    return _settings_page(new_token=secret, new_token_name=token.name)


@bp.post("/settings/tokens/<token_id>/revoke")
@owner_required
def revoke_token(token_id: str):
    svc = services()
    svc.owner.revoke_token(svc.pod.id, token_id)
    flash("The token no longer works.")
    return redirect(url_for("web.settings") + "#tokens")


@bp.post("/settings/password")
@owner_required
def change_password():
    svc = services()
    new = request.form.get("new_password", "")
    if new != request.form.get("new_password_again", ""):
        return _settings_page(400, errors={"password": "The two new passwords are not the same."})
    try:
        svc.owner.change_password(svc.pod.id, request.form.get("old_password", ""), new)
    except ConsentError as exc:
        return _settings_page(400, errors={"password": str(exc).capitalize() + "."})
    session.bump_epoch()  # other browsers signed in with the old password are signed out
    session.sign_in()
    flash("Your password is changed. Other browsers have been signed out.")
    return redirect(url_for("web.settings") + "#password")


@bp.post("/settings/keys/rotate")
@owner_required
def rotate_keys():
    kid = services().consent.keys.rotate()
    flash(f"The pod signs with a new key ({kid}) from now on. Grants already given still work.")
    return redirect(url_for("web.settings") + "#keys")


@bp.post("/settings/export")
@owner_required
def export():
    svc = services()
    out = io.BytesIO()
    export_pod(svc.store, svc.pod, out)
    name = f"pod-export-{utcnow():%Y-%m-%d}.tar.gz"
    return Response(
        out.getvalue(),
        mimetype="application/gzip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/settings/import")
@owner_required
def import_archive():
    svc = services()
    upload = request.files.get("archive")
    if upload is None or not upload.filename:
        return _settings_page(400, errors={"import": "Choose an export file (.tar.gz) to import."})
    data = upload.stream.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        return _settings_page(400, errors={"import": "That file is too large to import here."})
    try:
        count = import_pod(svc.store, svc.pod, io.BytesIO(data), replace_owner=True)
    except ArchiveError as exc:
        return _settings_page(400, errors={"import": f"Nothing was imported: {exc}"})
    session.bump_epoch()
    session.sign_out()
    flash(f"Imported {count} documents. Sign in with the password of the imported pod.")
    return redirect(url_for("web.sign_in"))
