"""Probes for whoever runs the server (an orchestrator, a load balancer, a monitor).

- `/healthz` (liveness): 200 while the process answers at all. It touches nothing else, so a
  database outage never gets a healthy process restarted.
- `/readyz` (readiness): 200 when the database answers and its schema is the one this code
  needs; else 503, a problem saying which check failed (and never the database's address).

Both are the server's, not a pod's: no credentials, no session, and in provider mode they
answer at any host name, before any pod is looked up.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app

from pds.consent.health import DatabaseHealth
from pds.server.problems import problem_response

bp = Blueprint("health", __name__)
NO_STORE = {"Cache-Control": "no-store"}


def install(app: Flask, database: DatabaseHealth) -> None:
    app.extensions["pds.database_health"] = database
    app.register_blueprint(bp)


@bp.get("/healthz")
def alive():
    return {"status": "ok"}, 200, NO_STORE


@bp.get("/readyz")
def ready():
    database: DatabaseHealth = current_app.extensions["pds.database_health"]
    checks = database.readiness()
    verdicts = {check.name: "ok" if check.ok else check.detail for check in checks}
    failed = [check for check in checks if not check.ok]
    if not failed:
        return {"status": "ready", "checks": verdicts}, 200, NO_STORE
    return problem_response(
        503,
        "not-ready",
        "Not ready",
        "; ".join(f"{check.name}: {check.detail}" for check in failed),
        NO_STORE,
        checks=verdicts,
    )
