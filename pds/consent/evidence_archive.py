"""The signed evidence archive about one vendor: its files, the pod's signature, the zip.

The archive holds, in this order:

    README.txt     what the files are, in a few lines
    evidence.json  the evidence in full (`Evidence.to_json`)
    report.html    the same in plain words, self-contained, for people
    evidence.jws   a JWS by the pod's key (typ `pds-evidence+jwt`) whose payload lists the
                   other files with their SHA-256, the vendor id, the pod (`iss`) and `iat`

Whoever receives it hashes the files, compares the hashes with the payload and verifies the JWS
against the pod's published keys (protocol §2.3). The zip is the same bytes for the same files
and time: a fixed order, the export's time as every file's date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

EVIDENCE_TYP = "pds-evidence+jwt"
README, EVIDENCE, REPORT, SIGNATURE = "README.txt", "evidence.json", "report.html", "evidence.jws"


def contents(readme_text: str, evidence: dict[str, Any], report_html: str) -> dict[str, bytes]:
    """The signed files of the archive, by name, in the archive's order."""
    document = json.dumps(evidence, indent=2, ensure_ascii=False) + "\n"
    return {
        README: readme_text.encode(),
        EVIDENCE: document.encode(),
        REPORT: report_html.encode(),
    }


def manifest(
    pod_url: str, vendor_id: str, at: dt.datetime, files: dict[str, bytes]
) -> dict[str, Any]:
    """The claims the pod signs: each file with its SHA-256 (hex, as `sha256sum` prints it)."""
    return {
        "iss": pod_url,
        "iat": int(at.timestamp()),
        "vendor_id": vendor_id,
        "files": [
            {"name": name, "sha256": hashlib.sha256(body).hexdigest()}
            for name, body in files.items()
        ],
    }


def pack(files: dict[str, bytes], signature: str, at: dt.datetime) -> bytes:
    """The zip of `files` and the signature, in memory."""
    stamp = at.astimezone(dt.UTC).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in [*files.items(), (SIGNATURE, signature.encode() + b"\n")]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # a plain readable file when unzipped
            archive.writestr(info, body)
    return out.getvalue()


def readme(
    *, name: str, vendor_id: str, pod_url: str, jwks_uri: str, kid: str, at: dt.datetime
) -> str:
    """What the files are, and how to check them, in a few lines."""
    return (
        f'Evidence about the vendor "{name}" (vendor id {vendor_id}),\n'
        f"exported from the personal data pod at {pod_url}\n"
        f"on {at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC.\n"
        "\n"
        f"{README}     this file\n"
        f"{EVIDENCE}  everything in full, every signed receipt and record as issued\n"
        f"{REPORT}    the same in plain words: open it in a browser, or print it\n"
        f"{SIGNATURE}   the pod's signature (JWS, typ {EVIDENCE_TYP}, key {kid})\n"
        "               over the SHA-256 of each file above\n"
        "\n"
        f"To check: compare the output of `sha256sum {README} {EVIDENCE} {REPORT}`\n"
        f"with the `files` in the payload of {SIGNATURE}, and verify {SIGNATURE} with the\n"
        f"pod's public keys at {jwks_uri}.\n"
        f'The section "How to check this" of {REPORT} says how, step by step.\n'
    )
