"""The provider's admin API: create, list, suspend, resume, export and delete pods.

Served only in provider mode, only at the provider's own address (never at a pod's), and only
with the admin token (`admin_token`), a credential of its own: no pod's owner, token or grant
ever works here, and the admin token works nowhere else.
"""

from __future__ import annotations

import hmac
import tempfile

from flask import Blueprint, Response, current_app, request

from pds.consent import PodSummary, Provider
from pds.server.http import field, read_json
from pds.server.problems import Problem
from pds.server.provider import POD_NAME, current_provider

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admin_only() -> None:
    provider = current_provider()
    token = current_app.config.get("PDS_ADMIN_TOKEN", "")
    if provider is None or not token or request.environ.get(POD_NAME) is not None:
        raise Problem(404, "not-found", "Not found", "there is no admin API here")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        presented.strip().encode("utf-8", "surrogatepass"), token.encode()
    ):
        raise Problem(
            401,
            "unauthenticated",
            "Admin credential required",
            "send the provider's admin token as a Bearer token",
            {"WWW-Authenticate": 'Bearer realm="pds-admin"'},
        )


def _provider() -> Provider:
    provider = current_provider()
    assert provider is not None  # _admin_only
    return provider


def _view(pod: PodSummary) -> dict:
    view = {
        "name": pod.name,
        "url": pod.url,
        "created_at": pod.created_at.isoformat(),
        "claimed": pod.claimed,
        "suspended_at": pod.suspended_at.isoformat() if pod.suspended_at else None,
        "quota_bytes": pod.quota_bytes,
    }
    if pod.used_bytes >= 0:
        view["used_bytes"] = pod.used_bytes
    return view


@bp.get("/pods")
def list_pods():
    after = request.args.get("after", "")
    pods = _provider().listed(after=after, limit=PAGE + 1)
    body: dict = {"pods": [_view(p) for p in pods[:PAGE]]}
    if len(pods) > PAGE:
        body["next"] = f"{request.base_url}?after={pods[PAGE - 1].name}"
    return body


PAGE = 500


@bp.post("/pods")
def create_pod():
    data = read_json()
    quota = _quota(data)
    pod, code = _provider().create(field(data, "name"), quota_bytes=quota)
    body = {**_view(pod), "setup_code": code}
    return body, 201, {"Location": f"{request.base_url}/{pod.name}", "Cache-Control": "no-store"}


def _quota(data: dict) -> int | None:
    value = data.get("quota_bytes")
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise Problem(422, "invalid-input", "Invalid input", "'quota_bytes' must be an integer")
    return value


@bp.get("/pods/<name>")
def show_pod(name: str):
    return _view(_provider().get(name))


@bp.patch("/pods/<name>")
def change_pod(name: str):
    data = read_json()
    if "quota_bytes" not in data:
        raise Problem(422, "invalid-input", "Invalid input", "send 'quota_bytes' (null: default)")
    return _view(_provider().set_quota(name, _quota(data)))


@bp.post("/pods/<name>/suspend")
def suspend_pod(name: str):
    return _view(_provider().suspend(name))


@bp.post("/pods/<name>/resume")
def resume_pod(name: str):
    return _view(_provider().resume(name))


@bp.post("/pods/<name>/setup-code")
def new_setup_code(name: str):
    provider = _provider()
    pod = provider.get(name)
    if pod.claimed:
        raise Problem(409, "already-claimed", "Pod already claimed", f"{name} has an owner")
    code = provider.open_for_admin(name).account.issue_setup_code()
    return {"setup_code": code}, 201, {"Cache-Control": "no-store"}


@bp.get("/pods/<name>/export")
def export_pod(name: str):
    # Spooled: the archive is complete (and the pod's transaction over) before a byte is sent.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    _provider().export(name, spool)
    size = spool.tell()
    spool.seek(0)
    return Response(
        iter(lambda: spool.read(64 * 1024), b""),
        mimetype="application/gzip",
        headers={
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="{name}.tar.gz"',
            "Cache-Control": "no-store",
        },
    )


@bp.delete("/pods/<name>")
def delete_pod(name: str):
    return {"deleted": name, "rows": _provider().delete(name)}
