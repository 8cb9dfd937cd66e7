"""The Flask application factory."""

from __future__ import annotations

import argon2
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from pds.consent import Pod, Store, open_pod
from pds.server import (
    data,
    grants_api,
    intents_api,
    offers_api,
    owner_api,
    owner_grants,
    problems,
    threads_api,
    web,
    wellknown,
)
from pds.settings import Settings, ensure_secret_key

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class PageSessions(SecureCookieSessionInterface):
    """Cookie sessions for the consent page only: API requests never carry one, and opening
    one on every vendor read is measurable work."""

    def open_session(self, app, request):
        if not request.path.startswith("/app"):
            return self.null_session_class()
        return super().open_session(app, request)


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    pod: Pod | None = None,
    password_hasher: argon2.PasswordHasher | None = None,
) -> Flask:
    """Build the pod's app. The database must be migrated (`pds migrate` or `pds init`).

    `pod`: the pod `settings` name, already opened (by `pds serve`); else it is opened here, in
    `store` if given (tests share one database between the app and themselves).
    """
    settings = ensure_secret_key(settings)
    pod = pod or open_pod(
        store or settings.effective_database_url,
        settings.pod,
        settings.effective_base_url,
        password_hasher=password_hasher,
        allow_private_callbacks=settings.allow_private_callbacks,
    )

    app = Flask(__name__)
    app.session_interface = PageSessions()
    app.config.update(
        SECRET_KEY=settings.secret_key,
        PDS_MAX_BODY_BYTES=settings.max_body_bytes,
        # Only bounds form uploads (pod import); API bodies are limited in server/http.py.
        MAX_CONTENT_LENGTH=300 * 1024 * 1024,
        SESSION_COOKIE_NAME="pds_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.effective_base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        JSON_SORT_KEYS=False,
    )
    # Refuse `/data//x` rather than redirecting it to another resource.
    app.url_map.merge_slashes = False
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        # Flask's documented way to add WSGI middleware; mypy forbids replacing a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n
        )

    _ = pod.signing_kid  # the first signing key is made now, never inside a transaction
    app.extensions["pds.pod"] = pod

    problems.register(app)
    for blueprint in (
        data.bp,
        owner_api.bp,
        owner_grants.bp,
        grants_api.bp,
        intents_api.bp,
        offers_api.bp,
        threads_api.bp,
        threads_api.owner_bp,
        wellknown.bp,
        web.bp,
        web.root,
    ):
        app.register_blueprint(blueprint)

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
