"""The evidence about one vendor: the report to read, and the signed archive to hand over.

One template, vendor_report.html, is both the page the customer opens and the report.html in
the signed archive (`standalone`): a whole document, styles inline, no scripts, nothing fetched.
The owner API serves the same archive (`pds.server.owner_evidence`).
"""

from __future__ import annotations

import re
import unicodedata
from zoneinfo import ZoneInfo

from flask import Response, render_template
from markupsafe import Markup

from pds.consent.evidence_archive import EVIDENCE, EVIDENCE_TYP, README, REPORT, SIGNATURE
from pds.consent.vendor_evidence import Evidence
from pds.server.current import current_pod
from pds.server.web import assets
from pds.server.web.blueprint import bp
from pds.server.web.evidence_report import report_of
from pds.server.web.session import owner_required


@bp.get("/vendors/<vendor_id>/report")
@owner_required
def vendor_report(vendor_id: str):
    """The report as a page, with the archive's download beside it."""
    return render_report(current_pod().evidence.gather(vendor_id), standalone=False)


@bp.get("/vendors/<vendor_id>/evidence.zip")
@owner_required
def vendor_evidence(vendor_id: str):
    """The signed archive: README.txt, evidence.json, report.html and evidence.jws."""
    return evidence_download(vendor_id)


def render_report(evidence: Evidence, *, standalone: bool) -> str:
    """The report: the page (`standalone` False) or the archive's report.html."""
    titles = {t["id"]: t["title"] for t in current_pod().terms.current()}
    css = assets.asset("report.css")
    assert css is not None  # shipped with the package
    return render_template(
        "vendor_report.html",
        report=report_of(evidence, titles, archive_name(evidence)),
        standalone=standalone,
        # Our own file, with no "<" in it: it stays as it is inside <style>.
        inline_css=Markup(css.body.decode()),  # noqa: S704
        files=(README, EVIDENCE, REPORT),
        signature=SIGNATURE,
        typ=EVIDENCE_TYP,
    )


def evidence_download(vendor_id: str) -> Response:
    """The signed archive about `vendor_id`, as a download (the export is audited)."""
    pod = current_pod()
    evidence = pod.evidence.gather(vendor_id)
    archive = pod.evidence.archive(evidence, render_report(evidence, standalone=True))
    return Response(
        archive,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{archive_name(evidence)}"',
            "Cache-Control": "no-store",
        },
    )


def archive_name(evidence: Evidence) -> str:
    """'evidence-example-shop-2026-11-23.zip': ASCII letters, digits and dashes only, the day
    the customer's."""
    ascii_name = unicodedata.normalize("NFKD", evidence.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-") or "vendor"
    day = evidence.generated_at.astimezone(ZoneInfo(evidence.time_zone)).date()
    return f"evidence-{slug}-{day.isoformat()}.zip"
