"""The consent page's blueprint: its pages' shared headers, CSRF check, helpers and errors."""

from __future__ import annotations

from typing import cast

from flask import (
    Blueprint,
    Response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.exceptions import HTTPException

from pds.consent import ConsentError
from pds.resources import ResourceError
from pds.server.problems import STATUS
from pds.server.web import session
from pds.server.web.words import (
    MODE_WORDS,
    describe_duration,
    describe_event,
    format_time,
    resource_words,
)

bp = Blueprint(
    "web",
    __name__,
    url_prefix="/app",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# Outside /app: the pod's front door and the icon browsers ask for by themselves.
root = Blueprint("root", __name__)


@root.get("/")
def front_door():
    return redirect(url_for("web.home"))


@root.get("/favicon.ico")
def favicon():
    # bp is made with static_folder="static" above, so the folder is never None.
    folder = cast(str, bp.static_folder)
    return send_from_directory(folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400)


PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@bp.before_request
def _csrf():
    if request.method == "POST":
        session.check_csrf()


@bp.after_request
def _page_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def _template_helpers():
    return {
        "csrf_token": session.csrf_token,
        "signed_in": session.is_signed_in,
        "format_time": format_time,
        "describe_duration": describe_duration,
        "resource_words": resource_words,
        "describe_event": describe_event,
        "mode_words": MODE_WORDS,
    }


def _error_page(message: str, status: int):
    return render_template("error.html", message=message), status


@bp.errorhandler(ConsentError)
@bp.errorhandler(ResourceError)
def _domain_error(error: Exception):
    status = next((STATUS[c][0] for c in type(error).__mro__ if c in STATUS), 400)
    return _error_page(str(error), status)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return _error_page(error.description or error.name, error.code or 500)
