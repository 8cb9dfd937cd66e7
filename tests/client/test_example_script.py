"""The vendor example script runs against a real pod while the owner approves it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from pds import schemas

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "vendor_shop.py"


def test_the_example_vendor_script_gets_the_email_files_a_receipt_and_gives_back(
    server, owner, tmp_path
):
    owner.put(
        f"{server.url}/data/profile",
        data=schemas.sample_documents()["/profile"].encode(),
        headers={"Content-Type": "text/turtle"},
    )
    script = subprocess.Popen(
        [
            sys.executable,
            str(SCRIPT),
            server.url,
            "--key",
            str(tmp_path / "shop.pem"),
            "--wait",
            "30",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        pending = []
        while not pending and time.monotonic() < deadline:
            pending = owner.get(
                f"{server.url}/owner/access-requests", params={"status": "pending"}
            ).json()["requests"]
            time.sleep(0.1)
        assert pending, "the script never asked for access"
        assert owner.post(f"{server.url}/owner/access-requests/{pending[0]['id']}/approve").ok
        output, _ = script.communicate(timeout=30)
    finally:
        script.kill()
    assert script.returncode == 0, output
    assert "Email: alex@example.org" in output
    assert "Filed a receipt at" in output
    assert (tmp_path / "shop.pem").stat().st_mode & 0o077 == 0
    grants = owner.get(f"{server.url}/owner/grants").json()["grants"]
    assert [g["state"] for g in grants] == ["returned"]
    vendor_id = grants[0]["vendor_id"]
    record = owner.get(f"{server.url}/data/vendors/{vendor_id}/order-A-1001")
    assert record.status_code == 200 and "A-1001" in record.text
