"""The consent page's blueprint: its pages' shared headers, CSRF check, helpers and errors."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.exceptions import HTTPException

from pds.consent import ConsentError
from pds.resources import ResourceError
from pds.server.current import current_pod
from pds.server.problems import STATUS
from pds.server.web import assets, session
from pds.server.web.words import (
    MODE_WORDS,
    describe_duration,
    describe_event,
    format_time,
    refusal_words,
    resource_words,
    zone_label,
)

bp = Blueprint(
    "web",
    __name__,
    url_prefix="/app",
    template_folder="templates",
)

# Outside /app: the pod's front door and the icon browsers ask for by themselves.
root = Blueprint("root", __name__)


@root.get("/")
def front_door():
    return redirect(url_for("web.home"))


@root.get("/favicon.ico")
def favicon():
    return send_from_directory(
        assets.FOLDER, "favicon.svg", mimetype="image/svg+xml", max_age=86400
    )


@bp.get("/static/<path:filename>", endpoint="static")
def static_file(filename: str) -> Response:
    return assets.serve(filename)


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
    if request.endpoint != "web.static":  # static files say how they may be kept
        response.headers["Cache-Control"] = "no-store"
    return response


def customer_zone() -> ZoneInfo:
    """The time zone chosen in the settings, read once a request."""
    zone = g.get("pds_time_zone")
    if zone is None:
        zone = g.pds_time_zone = current_pod().time_zone.current()
    return zone


def local_time(value: dt.datetime | str | None) -> str:
    """A time as the customer reads it: in their time zone, labelled with it."""
    return format_time(value, customer_zone())


@bp.app_context_processor
def _template_helpers():
    return {
        "csrf_token": session.csrf_token,
        "signed_in": session.is_signed_in,
        "format_time": local_time,
        "asset_url": assets.asset_url,
        "time_zone_label": lambda: zone_label(customer_zone()),
        "describe_duration": describe_duration,
        "resource_words": resource_words,
        "describe_event": describe_event,
        "refusal_words": refusal_words,
        "mode_words": MODE_WORDS,
    }


@bp.app_template_test("shown_by_its_form")
def _shown_by_its_form(category: str) -> bool:
    """A flash message shown next to the form it is about ("saved profile"), not on top."""
    return category.startswith("saved ")


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
