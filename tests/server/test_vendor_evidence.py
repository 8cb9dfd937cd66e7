"""The evidence about one vendor: a signed zip of its receipts, agreements and access log with a
readable report, for the customer to hand to a data-protection authority. The real server on
loopback, on both backends; the archive is checked as its recipient would, against the keys the
pod publishes over HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shlex
import subprocess
import sys
import zipfile
from html import unescape

import jwt
import pytest
import requests

from tests.server.test_my_data_page import signed_in
from tests.server.vendor_setup import EMAIL, PURPOSE, Vendor, new_vendor
from vendor_client import Accept, GrantRevoked

FILES = ["README.txt", "evidence.json", "report.html", "evidence.jws"]
NAME = "Example Shop"
HOSTILE_NAME = "<script>alert(1)</script>"


def granted_to(server, owner, name: str, scopes: list[dict], **asked) -> Vendor:
    """A new vendor calling itself `name`, granted `scopes` as asked."""
    vendor = new_vendor(server)
    pending = vendor.client.request_access(
        scopes,
        purpose=PURPOSE,
        description="to send your order confirmations",
        duration=dt.timedelta(days=30),
        vendor={"name": name, "homepage": "https://shop.example"},
        **asked,
    )
    approved = owner.post(f"{server.url}/owner/access-requests/{pending.id}/approve")
    assert approved.status_code == 201, approved.text
    vendor.grant = pending.wait(timeout=5)
    return vendor


@pytest.fixture
def shop(server, owner, customer_data) -> Vendor:
    """A vendor that accepted the customer's agreement, got their email address and read it."""
    agreement = vendor_agreement(server)
    scopes = [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}]
    vendor = granted_to(server, owner, NAME, scopes, agreement=Accept(agreement))
    vendor.client.read("/profile", vendor.grant)
    return vendor


def vendor_agreement(server) -> str:
    config = requests.get(f"{server.url}/.well-known/pds-configuration", timeout=10).json()
    return config["agreement"]["id"]


def exported(server, owner, vendor_id: str) -> zipfile.ZipFile:
    response = owner.get(f"{server.url}/owner/vendors/{vendor_id}/evidence", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def evidence_of(archive: zipfile.ZipFile) -> dict:
    return json.loads(archive.read("evidence.json"))


def report_of(archive: zipfile.ZipFile) -> str:
    return archive.read("report.html").decode()


def words(html: str) -> str:
    """The report's text as a reader sees it: tags dropped, spaces folded."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def verified_payload(server, token: str) -> dict:
    """The payload of the archive's signature, verified as its recipient would: with the key
    of the header's kid, from the pod's JWKS fetched over HTTP."""
    jwks = requests.get(f"{server.url}/.well-known/jwks.json", timeout=10).text
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "pds-evidence+jwt"
    key = jwt.PyJWKSet.from_json(jwks)[header["kid"]].key
    return jwt.decode(token, key, algorithms=["EdDSA"])


def signed_hashes(server, archive: zipfile.ZipFile) -> dict[str, str]:
    payload = verified_payload(server, archive.read("evidence.jws").decode().strip())
    return {f["name"]: f["sha256"] for f in payload["files"]}


# -- the archive ---------------------------------------------------------------------------------


def test_the_archive_holds_the_report_the_evidence_a_readme_and_the_signature(server, owner, shop):
    response = owner.get(f"{server.url}/owner/vendors/{shop.id}/evidence", timeout=10)

    assert response.status_code == 200
    today = dt.datetime.now(dt.UTC).date().isoformat()
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="evidence-example-shop-{today}.zip"'
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == FILES
    evidence = evidence_of(archive)
    assert evidence["pod"]["url"] == server.url
    assert evidence["vendor"]["id"] == shop.id
    assert (evidence["vendor"]["name"], evidence["vendor"]["homepage"]) == (
        NAME,
        "https://shop.example",
    )
    assert evidence["vendor"]["domain_verified"] is False
    [grant] = evidence["grants"]
    assert (grant["id"], grant["state"]) == (shop.grant.id, "active")
    assert grant["consent_receipt"]["jws"] == shop.grant.receipt
    assert grant["scopes"] == [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}]
    [asked] = evidence["access_requests"]
    assert (asked["status"], asked["grant"]) == ("approved", shop.grant.id)
    records = evidence["agreement_records"]
    assert [r["interaction"] for r in records] == ["proffer", "answer", "decision"]
    answer = records[1]
    assert answer["vendor_jws"] and answer["jws"]
    vendors_half = jwt.decode(  # signed by the vendor's own key
        answer["vendor_jws"],
        shop.private_key.public_key(),
        algorithms=["EdDSA"],
        options={"verify_aud": False, "verify_exp": False},
    )
    assert vendors_half["agreement"] == {"accept": vendor_agreement(server)}
    [read] = [e for e in evidence["audit_events"] if e["action"] == "data.read"]
    assert (read["actor"], read["resource"], read["outcome"]) == (shop.id, "/profile", "allowed")
    assert read["detail"]["fields"] == [EMAIL]
    readme = archive.read("README.txt").decode()
    assert shop.id in readme and f"{server.url}/.well-known/jwks.json" in readme


def test_the_signature_verifies_with_the_pods_published_keys_and_covers_every_file(
    server, owner, shop
):
    archive = exported(server, owner, shop.id)

    token = archive.read("evidence.jws").decode().strip()
    payload = verified_payload(server, token)
    assert payload["iss"] == server.url
    assert payload["vendor_id"] == shop.id
    assert abs(payload["iat"] - dt.datetime.now(dt.UTC).timestamp()) < 60
    hashes = {f["name"]: f["sha256"] for f in payload["files"]}
    assert list(hashes) == FILES[:3]
    for name, digest in hashes.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
    kid = jwt.get_unverified_header(token)["kid"]
    assert kid in report_of(archive) and kid in archive.read("README.txt").decode()


def test_the_reports_own_instructions_check_the_archive(server, owner, shop, tmp_path):
    archive = exported(server, owner, shop.id)
    archive.extractall(tmp_path)
    hashing, verifying = (
        unescape(p) for p in re.findall(r"<pre>(.*?)</pre>", report_of(archive), re.S)
    )

    hashed = subprocess.run(
        shlex.split(hashing), cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    verified = subprocess.run(
        [sys.executable, "-c", verifying], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )

    assert verified.returncode == 0, verified.stderr
    payload = json.loads(verified.stdout)
    assert (payload["iss"], payload["vendor_id"]) == (server.url, shop.id)
    sums = [line.split() for line in hashed.stdout.splitlines()]
    assert sums == [[f["sha256"], f["name"]] for f in payload["files"]]


def test_a_changed_file_no_longer_matches_and_a_changed_signature_does_not_verify(
    server, owner, shop
):
    archive = exported(server, owner, shop.id)
    hashes = signed_hashes(server, archive)

    forged = report_of(archive).replace("Email address", "nothing at all").encode()
    assert hashlib.sha256(forged).hexdigest() != hashes["report.html"]
    edited = evidence_of(archive)
    edited["audit_events"] = []
    assert hashlib.sha256(json.dumps(edited).encode()).hexdigest() != hashes["evidence.json"]
    header, payload, signature = archive.read("evidence.jws").decode().strip().split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["files"][2]["sha256"] = hashlib.sha256(forged).hexdigest()
    swapped = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        verified_payload(server, f"{header}.{swapped}.{signature}")


def test_another_vendors_grants_and_reads_never_appear(server, owner, shop):
    other = granted_to(server, owner, "Other Shop", [{"resource": "/profile", "modes": ["read"]}])
    other.client.read("/profile", other.grant)

    archive = exported(server, owner, shop.id)

    for name in FILES:
        text = archive.read(name).decode()
        assert other.id not in text, name
        assert other.grant.id not in text, name
        assert "Other Shop" not in text, name
    assert {e["actor"] for e in evidence_of(archive)["audit_events"]} <= {shop.id, "owner"}


def test_the_report_names_the_fields_read_the_revocation_and_the_deletion(server, owner, shop):
    server.pod.time_zone.choose("Europe/Berlin")
    revoked = owner.post(
        f"{server.url}/owner/grants/{shop.grant.id}/revoke", json={"ask_deletion": True}
    )
    assert revoked.status_code == 200, revoked.text
    with pytest.raises(GrantRevoked):
        shop.client.read("/profile", shop.grant)
    shop.client.acknowledge_deletion(shop.grant, "Deleted the email address on our side")

    report = words(report_of(exported(server, owner, shop.id)))

    assert f"{NAME} asked to see the customer's profile: Email address, for 30 days" in report
    assert "The reason it gave: “to send your order confirmations”" in report
    assert "it accepted" in report  # the IEEE 7012 answer
    assert f"{NAME} read the customer's profile: Email address." in report
    assert "The customer took the permission back." in report
    assert f"{NAME} tried to read the customer's profile. The pod refused" in report
    assert f"The customer asked {NAME} to delete the data" in report
    assert f"{NAME} confirmed the deletion" in report
    assert "“Deleted the email address on our side”" in report
    assert "Berlin time" in report and " UTC" not in report.replace("(UTC", "")
    assert f"{server.url}/.well-known/jwks.json" in report  # how to check it


def test_the_report_stands_alone_and_escapes_what_the_vendor_declared(server, owner, customer_data):
    hostile = granted_to(server, owner, HOSTILE_NAME, [{"resource": "/profile", "modes": ["read"]}])
    response = owner.get(f"{server.url}/owner/vendors/{hostile.id}/evidence", timeout=10)
    archive = zipfile.ZipFile(io.BytesIO(response.content))

    report = report_of(archive)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "<script" not in report.lower()
    for outside in ("<link", " src=", "url(", "@import", 'href="/', 'href="http'):
        assert outside not in report, outside
    assert "<style>" in report and "@media print" in report
    assert evidence_of(archive)["vendor"]["name"] == HOSTILE_NAME  # kept as declared
    name = re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"]).group(1)
    assert re.fullmatch(r"evidence-script-alert-1-script-\d{4}-\d\d-\d\d\.zip", name)


# -- the consent page ----------------------------------------------------------------------------


def test_the_page_shows_the_report_and_downloads_the_archive(server, owner, shop):
    browser = signed_in(server)

    page = browser.get(f"{server.url}/app/vendors/{shop.id}/report", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert f"{NAME} read the customer's profile: Email address." in words(page.text)
    assert f'href="/app/vendors/{shop.id}/evidence.zip"' in page.text
    download = browser.get(f"{server.url}/app/vendors/{shop.id}/evidence.zip", timeout=10)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/zip"
    assert download.headers["Content-Disposition"].startswith(
        'attachment; filename="evidence-example-shop-'
    )
    assert download.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert archive.namelist() == FILES
    assert (
        signed_hashes(server, archive)["report.html"]
        == hashlib.sha256(archive.read("report.html")).hexdigest()
    )


def test_every_export_is_in_the_audit_log_and_in_the_next_export(server, owner, shop):
    exported(server, owner, shop.id)

    events = owner.get(
        f"{server.url}/owner/audit", params={"action": "evidence.export"}, timeout=10
    ).json()["events"]
    assert [(e["actor"], e["detail"]["vendor"]) for e in events] == [("owner", shop.id)]
    again = exported(server, owner, shop.id)
    assert [e["action"] for e in evidence_of(again)["audit_events"]][-1] == "evidence.export"
    assert f"The customer exported the signed evidence about {NAME}" in report_of(again)


@pytest.mark.parametrize("vendor_id", ["W" * 43, "not-a-vendor", "a%00b", "x" * 200])
def test_an_unknown_or_malformed_vendor_is_not_found(server, owner, vendor_id):
    api = owner.get(f"{server.url}/owner/vendors/{vendor_id}/evidence", timeout=10)
    assert api.status_code == 404
    assert api.headers["Content-Type"] == "application/problem+json"
    browser = signed_in(server)
    for page in ("report", "evidence.zip"):
        response = browser.get(f"{server.url}/app/vendors/{vendor_id}/{page}", timeout=10)
        assert response.status_code == 404
        assert "That did not work" in response.text


def test_only_the_owner_can_export(server, owner, shop, anonymous):
    for page in ("report", "evidence.zip"):
        response = anonymous.get(
            f"{server.url}/app/vendors/{shop.id}/{page}", allow_redirects=False, timeout=10
        )
        assert response.status_code == 302
        assert "/app/sign-in" in response.headers["Location"]
    api = anonymous.get(f"{server.url}/owner/vendors/{shop.id}/evidence", timeout=10)
    assert api.status_code == 401
    assert api.headers["Content-Type"] == "application/problem+json"
    events = owner.get(
        f"{server.url}/owner/audit", params={"action": "evidence.export"}, timeout=10
    ).json()["events"]
    assert events == []
