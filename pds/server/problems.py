"""RFC 9457 problem details: the one place where errors become HTTP responses."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from pds import consent, resources
from pds.consent.jose import ALGORITHMS
from pds.server import metrics

PROBLEM_TYPES = "https://w3id.org/vrm-pod/problems#"
PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class Problem(Exception):
    """An HTTP-level refusal raised by the server itself (size limits, negotiation...)."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.headers = headers or {}
        self.extra = extra


# Domain error -> (status, type slug, title). Subclasses are looked up along their MRO.
STATUS: dict[type[Exception], tuple[int, str, str]] = {
    resources.InvalidPath: (400, "invalid-path", "Invalid resource path"),
    resources.RemoteContextRefused: (
        400,
        "remote-context-refused",
        "Remote JSON-LD context refused",
    ),
    resources.RDFSyntaxError: (400, "malformed-rdf", "Malformed RDF"),
    resources.ResourceNotFound: (404, "not-found", "Not found"),
    resources.NotADocument: (405, "not-a-document", "A container cannot be written"),
    resources.QuotaExceeded: (507, "quota-exceeded", "The pod's storage is full"),
    resources.ContainerNotEmpty: (409, "container-not-empty", "Container not empty"),
    resources.ResourceExists: (412, "precondition-failed", "Precondition failed"),
    resources.ETagMismatch: (412, "precondition-failed", "Precondition failed"),
    resources.UnsupportedMediaType: (415, "unsupported-media-type", "Unsupported media type"),
    resources.UpdateRefused: (422, "update-refused", "SPARQL Update refused"),
    resources.ShapeViolation: (422, "shape-violation", "The data does not fit its shape"),
    resources.WriteContention: (503, "write-contention", "Too many concurrent changes"),
    consent.NotAuthenticated: (401, "unauthenticated", "Authentication required"),
    consent.InvalidCredentials: (401, "invalid-credentials", "Invalid credentials"),
    consent.InvalidSetupCode: (403, "invalid-setup-code", "Invalid setup code"),
    consent.UnknownToken: (404, "unknown-token", "Unknown token"),
    consent.AlreadyClaimed: (409, "already-claimed", "Pod already claimed"),
    consent.NotClaimed: (409, "not-claimed", "Pod not claimed yet"),
    consent.WeakPassword: (422, "weak-password", "Password not accepted"),
    consent.InvalidInput: (422, "invalid-input", "Invalid input"),
    consent.TooManyAttempts: (429, "too-many-attempts", "Too many attempts"),
    consent.InvalidGrant: (401, "invalid-grant", "Invalid grant"),
    consent.GrantExpired: (401, "grant-expired", "Grant expired"),
    consent.GrantRevoked: (401, "grant-revoked", "Grant revoked"),
    consent.InvalidProof: (401, "invalid-dpop-proof", "Invalid DPoP proof"),
    consent.InsufficientScope: (403, "insufficient-scope", "Not covered by the grant"),
    consent.RequestNotFound: (404, "request-not-found", "Access request not found"),
    consent.GrantNotFound: (404, "grant-not-found", "Grant not found"),
    consent.VendorNotFound: (404, "vendor-not-found", "Vendor not found"),
    consent.GrantNotActive: (409, "grant-not-active", "Grant no longer active"),
    consent.GrantStillActive: (409, "grant-still-active", "Grant still active"),
    consent.DeletionNotRequested: (409, "deletion-not-requested", "Deletion not requested"),
    consent.DeletionAlreadyAcknowledged: (
        409,
        "deletion-already-acknowledged",
        "Deletion already acknowledged",
    ),
    consent.AlreadyDecided: (409, "already-decided", "Already decided"),
    consent.IntentNotFound: (404, "intent-not-found", "Intent not found"),
    consent.IntentNotOpen: (409, "intent-not-open", "Intent not open for offers"),
    consent.OfferNotFound: (404, "offer-not-found", "Offer not found"),
    consent.ThreadNotFound: (404, "thread-not-found", "Thread not found"),
    consent.ThreadClosed: (409, "thread-closed", "Thread closed"),
    consent.ThreadFull: (409, "thread-full", "Thread full"),
    consent.TooLarge: (413, "too-large", "Too large"),
    consent.PodNotFound: (404, "pod-not-found", "No such pod"),
    consent.PodExists: (409, "pod-exists", "Pod exists"),
    consent.PodSuspended: (403, "pod-suspended", "Pod suspended"),
    consent.SchemaOutOfDate: (503, "schema-out-of-date", "Database needs migrating"),
}


_DPOP_ERRORS: dict[type[Exception], str] = {
    consent.InvalidProof: "invalid_dpop_proof",
    consent.InvalidGrant: "invalid_token",
    consent.InsufficientScope: "insufficient_scope",
}


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    metrics.problem(status, slug)  # a 4xx counts as a refusal, by its type
    body = {"type": PROBLEM_TYPES + slug, "title": title, "status": status, "detail": detail}
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def _from_domain(error: Exception) -> Response:
    for cls in type(error).__mro__:
        if cls in STATUS:
            status, slug, title = STATUS[cls]
            break
    else:  # pragma: no cover - every domain base class is mapped
        raise error
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(error, consent.NotAuthenticated | consent.InvalidCredentials):
        challenge = 'Bearer realm="pod"'
        if isinstance(error, consent.InvalidCredentials):
            challenge += ', error="invalid_token"'
        headers["WWW-Authenticate"] = challenge
    dpop_error = _DPOP_ERRORS.get(type(error)) or next(
        (code for cls, code in _DPOP_ERRORS.items() if isinstance(error, cls)), None
    )
    if dpop_error:
        # Details may quote what the client sent: keep the header to printable ASCII, no quotes.
        description = "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in str(error))[
            :300
        ]
        headers["WWW-Authenticate"] = (
            f'DPoP algs="{" ".join(ALGORITHMS)}", error="{dpop_error}", '
            f'error_description="{description}"'
        )
    if isinstance(error, consent.TooManyAttempts | resources.WriteContention):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, resources.ShapeViolation):
        extra["violations"] = error.violations
    if isinstance(error, resources.RDFSyntaxError) and error.line:
        extra.update(line=error.line, column=error.column)
    if isinstance(error, resources.UnsupportedMediaType):
        headers["Accept-Post"] = ", ".join(error.supported)
    return problem_response(status, slug, title, str(error), headers, **extra)


def register(app: Flask) -> None:
    """Route every error the app can meet to a problem+json response."""

    @app.errorhandler(Problem)
    def _problem(error: Problem):
        return problem_response(
            error.status, error.slug, error.title, error.detail, error.headers, **error.extra
        )

    for cls in STATUS:
        app.register_error_handler(cls, _from_domain)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        slug = (error.name or "error").lower().replace(" ", "-")
        response = problem_response(error.code or 500, slug, error.name, error.description or "")
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error")
        return problem_response(
            500,
            "internal-error",
            "Internal server error",
            "the pod failed to handle this request; the error is logged",
        )
