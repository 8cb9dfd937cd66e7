"""The owner's export of the evidence about one vendor, for a data-protection authority."""

from __future__ import annotations

from flask import Blueprint

from pds.server.auth import require_owner
from pds.server.web.evidence_pages import evidence_download

bp = Blueprint("owner_evidence", __name__, url_prefix="/owner")


@bp.before_request
def _owner_only():
    require_owner()


@bp.get("/vendors/<vendor_id>/evidence")
def vendor_evidence(vendor_id: str):
    """The signed zip (application/zip): the same archive as the consent page's download."""
    return evidence_download(vendor_id)
