"""The Flask application factory."""

from __future__ import annotations

import argon2
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from pds.consent import Pod, Provider, Store, open_pod
from pds.consent.health import DatabaseHealth
from pds.server import (
    admin_api,
    agreements_api,
    data,
    deletion_api,
    grants_api,
    health,
    intents_api,
    logs,
    metrics,
    offers_api,
    owner_api,
    owner_evidence,
    owner_grants,
    owner_rules,
    problems,
    threads_api,
    web,
    wellknown,
)
from pds.server import provider as provider_mode
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

    def get_cookie_path(self, app):
        # A provider's pod at a path prefix keeps its cookie to itself.
        from flask import request

        return request.script_root or "/"


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    pod: Pod | None = None,
    provider: Provider | None = None,
    password_hasher: argon2.PasswordHasher | None = None,
) -> Flask:
    """Build the pod's app. The database must be migrated (`pds migrate` or `pds init`).

    `pod`: the pod `settings` name, already opened (by `pds serve`); else it is opened here, in
    `store` if given (tests share one database between the app and themselves). In provider
    mode (`settings.provider_url`) the app serves every pod of `provider`, or of a Provider
    made here.
    """
    settings = ensure_secret_key(settings)
    if settings.provider_url:
        provider = provider or Provider(
            store or Store.from_url(settings.effective_database_url),
            settings.provider_url,
            default_quota=settings.pod_quota_bytes,
            password_hasher=password_hasher,
            allow_private_callbacks=settings.allow_private_callbacks,
        )
    else:
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
        SESSION_COOKIE_SECURE=(settings.provider_url or settings.effective_base_url).startswith(
            "https://"
        ),
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        JSON_SORT_KEYS=False,
    )
    # Refuse `/data//x` rather than redirecting it to another resource.
    app.url_map.merge_slashes = False
    app.config["PDS_ADMIN_TOKEN"] = settings.admin_token
    if provider is not None:
        # Before ProxyFix is wrapped around it: pods are found by the forwarded host.
        provider_mode.install(
            app, provider, settings.provider_url, settings.pod_requests_per_minute
        )
    else:
        assert pod is not None
        _ = pod.signing_kid  # the first signing key is made now, never inside a transaction
        app.extensions["pds.pod"] = pod
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        # Flask's documented way to add WSGI middleware; mypy forbids replacing a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n
        )

    problems.register(app)
    served = provider or pod
    assert served is not None  # one of the two was made above
    database = DatabaseHealth.of(served)
    logs.install(app, access_log=settings.log_format == "json")
    health.install(app, database)  # /healthz, /readyz: no pod resolution (provider mode)
    metrics.install(app, settings, database)  # /metrics: no pod resolution either
    for blueprint in (
        data.bp,
        owner_api.bp,
        owner_grants.bp,
        owner_evidence.bp,
        agreements_api.bp,
        agreements_api.owner_bp,
        owner_rules.bp,
        grants_api.bp,
        deletion_api.bp,
        intents_api.bp,
        offers_api.bp,
        threads_api.bp,
        threads_api.owner_bp,
        wellknown.bp,
        admin_api.bp,
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
