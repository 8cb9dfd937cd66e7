"""Settings: my terms, intent relays, API tokens, password, signing keys, export and import."""

from __future__ import annotations

import base64
import io

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie

from pds.consent import ArchiveError, ConsentError
from pds.consent.time_zone import known_zones
from pds.server.current import current_pod
from pds.server.web import session
from pds.server.web.blueprint import bp, local_time
from pds.server.web.session import owner_required

MAX_IMPORT_BYTES = 256 * 1024 * 1024


def _settings_page(status: int = 200, errors: dict[str, str] | None = None, **context):
    """The settings page; `errors` maps a section (terms, token, password, import) to a message."""
    pod = current_pod()
    return render_template(
        "settings.html",
        terms=pod.terms.current(),
        relays=pod.relays.chosen(),
        tokens=pod.account.list_tokens(),
        keys=pod.signing_keys(),
        agreement=pod.agreements.preferred(),
        time_zone=pod.time_zone.current().key,
        time_zones=known_zones(),
        errors=errors or {},
        **context,
    ), status


@bp.get("/settings")
@owner_required
def settings():
    # A token just made is shown once, on the page the creation redirected to (never in a URL).
    made = cookie.pop("new_token", None)
    if isinstance(made, dict):
        try:
            secret = _sealed().decrypt(str(made.get("secret", "")).encode(), ttl=NEW_TOKEN_TTL)
        except InvalidToken:  # too late, or not sealed by this pod: the token is not shown
            return _settings_page()
        return _settings_page(new_token=secret.decode(), new_token_name=made.get("name"))
    return _settings_page()


# The page cookie is signed, not encrypted: a new token crosses it sealed, readable only by this
# pod, and only for a minute (the redirect's round trip).
NEW_TOKEN_TTL = 60


def _sealed() -> Fernet:
    key = HKDF(hashes.SHA256(), 32, salt=None, info=b"pds new token in the page cookie")
    secret = current_app.secret_key
    secret = secret.encode() if isinstance(secret, str) else bytes(secret or b"")
    return Fernet(base64.urlsafe_b64encode(key.derive(secret)))


@bp.post("/settings/time-zone")
@owner_required
def save_time_zone():
    try:
        zone = current_pod().time_zone.choose(request.form.get("time_zone", ""))
    except ConsentError as exc:
        return _settings_page(400, errors={"time_zone": str(exc).capitalize() + "."})
    flash(f"Times are now shown in {zone.key}.")
    return redirect(url_for("web.settings") + "#time-zone", code=303)


@bp.post("/settings/agreement")
@owner_required
def save_agreement():
    try:
        chosen = current_pod().agreements.choose(request.form.get("agreement"))
    except ConsentError:
        return _settings_page(400, errors={"agreement": "Choose one of the agreements listed."})
    flash(f"Vendors asking from now on are offered your agreement: {chosen.title}.")
    return redirect(url_for("web.settings") + "#agreement", code=303)


@bp.post("/settings/relays")
@owner_required
def save_relays():
    lines = request.form.get("relays", "").splitlines()
    try:
        chosen = current_pod().relays.choose([line.strip() for line in lines if line.strip()])
    except ConsentError as exc:
        return _settings_page(400, errors={"relays": str(exc).capitalize()})
    flash(
        f"Intents you publish from now on are announced to {len(chosen)} relay(s)."
        if chosen
        else "Intents you publish from now on are announced nowhere."
    )
    return redirect(url_for("web.settings") + "#relays")


@bp.post("/settings/terms")
@owner_required
def save_terms():
    form = request.form
    terms = []
    count = form.get("count", "0")
    rows = int(count) if count.isascii() and count.isdigit() and len(count) < 4 else 0
    for index in range(rows + 1):
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
        current_pod().terms.replace(terms)
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
    try:
        token, secret = current_pod().account.create_token(request.form.get("name", ""))
    except ConsentError as exc:
        return _settings_page(400, errors={"token": str(exc).capitalize()})
    sealed = _sealed().encrypt(secret.encode()).decode()
    cookie["new_token"] = {"name": token.name, "secret": sealed}
    return redirect(url_for("web.settings") + "#tokens", code=303)


@bp.post("/settings/tokens/<token_id>/revoke")
@owner_required
def revoke_token(token_id: str):
    current_pod().account.revoke_token(token_id)
    flash("The token no longer works.")
    return redirect(url_for("web.settings") + "#tokens")


@bp.post("/settings/password")
@owner_required
def change_password():
    account = current_pod().account
    new = request.form.get("new_password", "")
    if new != request.form.get("new_password_again", ""):
        return _settings_page(400, errors={"password": "The two new passwords are not the same."})
    try:
        account.change_password(request.form.get("old_password", ""), new)
    except ConsentError as exc:
        return _settings_page(400, errors={"password": str(exc).capitalize() + "."})
    account.end_sessions()  # other browsers signed in with the old password are signed out
    session.sign_in()
    flash("Your password is changed. Other browsers have been signed out.")
    return redirect(url_for("web.settings") + "#password")


@bp.post("/settings/keys/rotate")
@owner_required
def rotate_keys():
    key = current_pod().rotate_keys()
    flash(
        f"A new key ({key.kid}) is published now and signs from {local_time(key.signs_from)}, "
        "once every copy of your pod's keys has it. Permissions already given keep working."
    )
    return redirect(url_for("web.settings") + "#keys")


@bp.post("/settings/export")
@owner_required
def export():
    pod = current_pod()
    out = io.BytesIO()
    pod.export_archive(out)
    name = f"pod-export-{pod.now():%Y-%m-%d}.tar.gz"
    return Response(
        out.getvalue(),
        mimetype="application/gzip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/settings/import")
@owner_required
def import_archive():
    pod = current_pod()
    upload = request.files.get("archive")
    if upload is None or not upload.filename:
        return _settings_page(400, errors={"import": "Choose an export file (.tar.gz) to import."})
    data = upload.stream.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        return _settings_page(400, errors={"import": "That file is too large to import here."})
    try:
        count = pod.import_archive(io.BytesIO(data), replace_owner=True)
    except ArchiveError as exc:
        return _settings_page(400, errors={"import": f"Nothing was imported: {exc}"})
    pod.account.end_sessions()
    session.sign_out()
    flash(f"Imported {count} documents. Sign in with the password of the imported pod.")
    return redirect(url_for("web.sign_in"))
