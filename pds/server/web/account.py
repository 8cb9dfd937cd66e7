"""Claiming the pod, signing in and out."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from pds.consent import ConsentError, InvalidSetupCode
from pds.server.current import current_pod
from pds.server.web import session
from pds.server.web.blueprint import bp

WRONG_SETUP_CODE = (
    "That setup code is wrong or has expired. Type the code the pod showed when it started; "
    "if it is lost, whoever runs the pod can make a new one."
)


def _safe_next(target: str | None) -> str:
    """Only redirect within the page itself: never to another site (open redirect)."""
    if target and target.startswith("/app/") and not target.startswith("/app//"):
        return target
    return url_for("web.home")


@bp.route("/claim", methods=["GET", "POST"])
def claim():
    account = current_pod().account
    if account.is_claimed():
        return redirect(url_for("web.sign_in"))
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password_again", ""):
            error = "The two passwords are not the same."
        else:
            try:
                account.claim(request.form.get("setup_code", ""), password)
            except InvalidSetupCode:  # its own message names commands: for the CLI and API
                error = WRONG_SETUP_CODE
            except ConsentError as exc:
                error = str(exc).capitalize()
            else:
                session.sign_in()
                flash("Welcome! This pod is yours now.")
                return redirect(url_for("web.home"))
    return render_template("claim.html", error=error), 400 if error else 200


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    account = current_pod().account
    if not account.is_claimed():
        return redirect(url_for("web.claim"))
    error, status = None, 200
    if request.method == "POST":
        try:
            account.verify_password(request.form.get("password", ""))
        except ConsentError as exc:
            error, status = str(exc).capitalize() + ".", 401
            if hasattr(exc, "retry_after"):
                status = 429
        else:
            session.sign_in()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("sign_in.html", error=error), status


@bp.post("/sign-out")
def sign_out():
    session.sign_out()
    flash("You are signed out.")
    return redirect(url_for("web.sign_in"))
