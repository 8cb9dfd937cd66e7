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

from pds.server.services import services
from pds.store import pods

SESSION_HOURS = 12


def _epoch() -> int:
    svc = services()
    with svc.store.read() as conn:
        return int(pods.get(conn, svc.pod.id).settings.get("session_epoch", 0))


def sign_in() -> None:
    """Start a fresh session for the owner (a new CSRF token, no fixation)."""
    session.clear()
    session.permanent = True
    session.update(
        pod=services().pod.id,
        epoch=_epoch(),
        csrf=secrets.token_urlsafe(32),
        since=int(time.time()),
    )


def sign_out() -> None:
    session.clear()


def bump_epoch() -> None:
    """Sign out every session of this pod (after a password change, or on request)."""
    svc = services()
    with svc.store.begin() as conn:
        settings = dict(pods.lock(conn, svc.pod.id).settings)
        settings["session_epoch"] = int(settings.get("session_epoch", 0)) + 1
        pods.update(conn, svc.pod.id, settings=settings)


def is_signed_in() -> bool:
    svc = services()
    if session.get("pod") != svc.pod.id:
        return False
    if time.time() - session.get("since", 0) > SESSION_HOURS * 3600:
        return False
    return session.get("epoch") == _epoch()


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
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, "This form has expired or did not come from your pod. Reload and try again.")
    origin = request.headers.get("Origin")
    if origin and origin != "null" and origin.rstrip("/") != request.host_url.rstrip("/"):
        abort(400, "This form was sent from another site and was refused.")
