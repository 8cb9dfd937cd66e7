"""Signing the owner in and out of the consent page, and CSRF protection for its forms.

The session is Flask's signed cookie: it holds the pod id, a CSRF token and the pod's session
epoch. Changing the password bumps the epoch, which signs out every other browser at once.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import time

from flask import abort, redirect, request, session, url_for

from pds.server.current import current_pod

SESSION_HOURS = 12


def sign_in() -> None:
    """Start a fresh session for the owner (a new CSRF token, no fixation)."""
    session.clear()
    session.permanent = True
    session.update(
        pod=current_pod().id,
        epoch=current_pod().account.session_epoch(),
        csrf=secrets.token_urlsafe(32),
        since=int(time.time()),
    )


def sign_out() -> None:
    session.clear()


def is_signed_in() -> bool:
    pod = current_pod()
    if session.get("pod") != pod.id:
        return False
    if time.time() - session.get("since", 0) > SESSION_HOURS * 3600:
        return False
    return session.get("epoch") == pod.account.session_epoch()


def owner_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not is_signed_in():
            session.clear()
            return redirect(url_for("web.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Refuse a form post without this session's CSRF token (and from another origin)."""
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a 500).
    if not expected or not hmac.compare_digest(
        sent.encode("utf-8", "surrogatepass"), expected.encode()
    ):
        abort(400, "This form has expired or did not come from your pod. Reload and try again.")
    origin = request.headers.get("Origin")
    if origin and origin != "null" and origin.rstrip("/") != request.host_url.rstrip("/"):
        abort(400, "This form was sent from another site and was refused.")
