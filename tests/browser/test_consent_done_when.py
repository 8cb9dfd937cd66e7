"""The consent issue's acceptance story, end to end in Chromium at 1280 and 375 px.

The customer offers SD-BASE and adds a standing rule; Example Shop (its website shop.localhost,
a real HTTPS site on loopback, proves its key) accepts SD-BASE, asks only for what the rule
allows and is approved at once. The Corner Bakery (bakery.localhost, proven too) proposes
SD-BASE-A instead and waits, beside a look-alike of shop.localhost spelt with Cyrillic letters;
the customer sees who is who in words, picks the bakery's agreement and allows it, and says no
to the look-alike. Both vendors hold the same signed agreement records the pod shows. Then the
customer takes back the shop's access, asking it to delete what it holds; the shop confirms with
a signed statement and checks the pod's signed receipt; the pages say so, and the shop's page
hands out a report and a signed archive that say so too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import jwt
import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    EMAIL,
    NAME,
    PURPOSE,
    claim_in_browser,
    shot,
    store_sample_profile,
    submit,
)
from tests.relay.relay_setup import Receiver
from tests.server.vendor_identity_site import LocalCA, Reply, VendorSite, proof_of
from vendor_client import (
    Accept,
    Alternative,
    DeletionReceipt,
    Grant,
    GrantRevoked,
    PendingRequest,
    PodClient,
    VendorKey,
)

pytestmark = pytest.mark.browser

SHOP, BAKERY = "shop.localhost", "bakery.localhost"
LOOK_ALIKE = "sh\u043e\u0440.localhost"  # Cyrillic o and er: it reads shop.localhost
RULE_DAYS = 14
TITLES = {
    "SD-BASE": "Service only",
    "SD-BASE-A": "Service, and they may measure how their service is used",
}
# What the shop signs when it has deleted: markup in it must reach the customer as text.
STATEMENT = 'Deleted every order record <b>and</b> its backups & logs, "all of it"'


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)  # vendors on loopback


@pytest.fixture
def shop_callback() -> Iterator[Receiver]:
    """Where the pod tells the shop that its access ended, and what the customer asks."""
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def site(tmp_path, monkeypatch) -> Iterator[VendorSite]:
    """One HTTPS server for both vendors' websites; each name proves only its own vendor."""
    ca = LocalCA(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.file))  # the pod trusts the test's CA
    site = VendorSite(ca, SHOP, BAKERY)
    yield site
    site.stop()


def proofs_by_host(proofs: dict[str, str]) -> Reply:
    """The site's answer: the vendor id its Host header's name proves, or none."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        host = handler.headers.get("Host", "").rpartition(":")[0]
        proof_of(*([proofs[host]] if host in proofs else []))(handler)

    return reply


def ask(
    vendor: PodClient,
    name: str,
    website: str,
    fields: list[str],
    answer: Accept | Alternative,
    callback: str | None = None,
) -> PendingRequest:
    return vendor.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": fields}],
        purpose=PURPOSE,
        description="to send you your order confirmations",
        duration=dt.timedelta(days=RULE_DAYS),
        vendor={"name": name, "homepage": website},
        agreement=answer,
        callback=callback,
    )


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_consent_issue_is_done_end_to_end(
    server, site, shop_callback, new_page, device, tmp_path
):
    store_sample_profile(server)
    shop = PodClient(server.url, VendorKey.generate())
    bakery = PodClient(server.url, VendorKey.generate())
    site.reply = proofs_by_host({SHOP: shop.vendor_id, BAKERY: bakery.vendor_id})
    page = new_page(device)
    claim_in_browser(page, server)

    offer_sd_base(page, server)
    shop_grant = rule_approves_the_shop(page, server, shop, site, shop_callback)
    bakery_grant = customer_picks_the_bakerys_agreement(page, server, bakery, site)
    records_match(page, server, shop_grant, decided_by="Your standing rule")
    records_match(page, server, bakery_grant, decided_by="You")
    receipt = take_back_and_confirm_deletion(page, server, shop, shop_grant, shop_callback)
    evidence_about_the_shop(page, server, shop, receipt, tmp_path)


# -- 1. the agreement the customer offers ------------------------------------------------------


def offer_sd_base(page: Page, server) -> None:
    page.goto(f"{server.url}/app/settings")
    section = page.locator("#agreement")
    expect(section.get_by_role("heading")).to_have_text("The agreement you offer")
    section.get_by_role("radio", name="Service only", exact=False).first.check()
    submit(page, "Offer this agreement")
    expect(page.locator(".flash")).to_contain_text("offered your agreement: Service only.")
    expect(page.locator("#agreement-SD-BASE")).to_be_checked()
    shot(page, "done-when-1-agreement")


# -- 2. a standing rule approves the shop at once ----------------------------------------------


def rule_approves_the_shop(
    page: Page, server, shop: PodClient, site: VendorSite, callback: Receiver
) -> Grant:
    page.goto(f"{server.url}/app/rules")
    page.get_by_label("Allow at once, within the limits below, requests for…").check()
    page.get_by_label("Providing the service", exact=False).first.check()
    page.get_by_label("Email address", exact=True).check()
    page.get_by_label("Service only (SD-BASE)", exact=False).check()
    page.get_by_label("For “allow” rules: for at most (days)").fill(str(RULE_DAYS))
    submit(page, "Add the rule")
    expect(page.locator(".flash")).to_contain_text(
        "Rule added: Allow vendors that accept your agreement “Service only” (SD-BASE) to read "
        f"email address for providing the service, for at most {RULE_DAYS} days."
    )
    shot(page, "done-when-2-rule")

    website = f"https://{SHOP}:{site.port}/"
    pending = ask(shop, "Example Shop", website, [EMAIL], Accept("SD-BASE"), callback.callback)
    assert pending.status()["status"] == "approved"  # decided as it arrived, nobody clicked
    grant = pending.wait(timeout=1)
    assert grant.agreement is not None and grant.agreement["id"] == "SD-BASE"
    assert "@" in shop.read("/profile", grant).serialize(format="turtle")

    page.goto(f"{server.url}/app/requests")
    digest = page.locator("#rules-digest")
    expect(digest).to_contain_text(
        "Example Shop may read what it asked for (to send you your order confirmations)"
    )
    expect(digest.get_by_role("button", name="Undo for Example Shop")).to_be_visible()
    expect(page.locator("[data-empty]")).to_be_visible()  # nothing was left waiting
    shot(page, "done-when-2-digest")
    return grant


# -- 3 and 4. the bakery's alternative, beside a look-alike of the shop ------------------------


def customer_picks_the_bakerys_agreement(
    page: Page, server, bakery: PodClient, site: VendorSite
) -> Grant:
    pending = ask(
        bakery, "Corner Bakery", f"https://{BAKERY}:{site.port}/", [EMAIL], Alternative("SD-BASE-A")
    )
    impostor = PodClient(server.url, VendorKey.generate())
    fake = ask(
        impostor,
        "Example Shop",
        f"https://{LOOK_ALIKE}:{site.port}/",
        [EMAIL, NAME],
        Accept("SD-BASE"),
    )
    assert pending.status()["status"] == fake.status()["status"] == "pending"

    page.goto(f"{server.url}/app/requests")
    card, fake_card = page.locator(f"#request-{pending.id}"), page.locator(f"#request-{fake.id}")

    # Who is who, in words and not by colour alone.
    expect(card.locator(".identity")).to_contain_text(f"Verified: {BAKERY}")
    expect(card.locator(".identity-domain")).to_have_text(BAKERY)
    expect(card).not_to_contain_text("Be careful")
    expect(fake_card.locator(".identity")).to_contain_text(
        f"Not verified: It says its website is {LOOK_ALIKE}, but that website does not confirm it."
    )
    expect(fake_card.locator(".identity-domain")).to_have_count(0)
    expect(fake_card.locator(".identity-warnings li").first).to_have_text(
        f"Be careful: {LOOK_ALIKE} (in plain letters xn--sh-gmci.localhost) looks like {SHOP}, "
        "the website of Example Shop, which you share or shared data with."
    )

    # Both agreements on the bakery's card, the customer's own ticked first.
    agreement = card.locator(f"#r{pending.id}-agreement")
    expect(agreement).to_contain_text("propose one other")
    yours = agreement.get_by_role("radio", name="Yours: Service only", exact=False)
    theirs = agreement.get_by_role(
        "radio", name="Theirs: Service, and they may measure", exact=False
    )
    expect(yours).to_be_checked()
    expect(theirs).not_to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "it overflows"
    shot(page, "done-when-3-4-requests")

    theirs.check()
    card.get_by_role("button", name="Allow what is ticked").click()
    page.wait_for_load_state()
    expect(page.locator("[data-grant-agreement]")).to_contain_text(
        "Service, and they may measure how their service is used (SD-BASE-A, IEEE 7012)"
    )
    expect(page.locator(".identity")).to_contain_text(f"Verified: {BAKERY}")
    grant = pending.wait(timeout=10)
    assert grant.agreement is not None and grant.agreement["id"] == "SD-BASE-A"
    assert "@" in bakery.read("/profile", grant).serialize(format="turtle")

    page.goto(f"{server.url}/app/requests")
    page.locator(f"#request-{fake.id}").get_by_role("button", name="Say no").click()
    page.wait_for_load_state()
    expect(page.locator(f"#request-{fake.id}")).to_have_count(0)
    return grant


def records_match(page: Page, server, grant: Grant, *, decided_by: str) -> None:
    """The signed records the vendor holds are the ones the customer's page shows, no more."""
    agreed = grant.agreement["id"] if grant.agreement else None
    assert [(r.interaction, r.agreed) for r in grant.agreement_records] == [
        ("proffer", None),
        ("answer", None),
        ("decision", agreed),
    ]
    page.goto(f"{server.url}/app/grants/{grant.id}")
    page.get_by_role("link", name="How it was agreed").click()
    steps = page.locator("[data-agreement-records] > li")
    expect(steps).to_have_count(len(grant.agreement_records))
    expect(steps.last).to_contain_text(
        f"{decided_by} allowed access under {TITLES[agreed]} ({agreed})."
    )
    for summary in steps.locator("summary").all():
        summary.click()  # open each signed record, as a customer checking it would
    for record in grant.agreement_records:  # what the vendor holds, the customer sees
        expect(page.locator(f"#record-{record.id} code.token").first).to_have_text(record.token)
    shown = {step.locator("code.token").first.inner_text() for step in steps.all()}
    assert shown == {record.token for record in grant.agreement_records}  # and nothing else
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "it overflows"
    shot(page, f"done-when-3-records-{agreed.lower()}")


# -- 5. stop and delete ------------------------------------------------------------------------


def take_back_and_confirm_deletion(
    page: Page, server, shop: PodClient, grant: Grant, callback: Receiver
) -> DeletionReceipt:
    page.goto(f"{server.url}/app/grants")
    card = page.locator(f"#vendor-{shop.vendor_id}")
    expect(card.get_by_label("Also ask them to delete what they already have")).to_be_checked()
    card.get_by_role("button", name="Take back", exact=False).click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text(
        "Example Shop can no longer see your data. They were asked to delete what they hold."
    )
    shot(page, "done-when-5-taken-back")

    # The shop is told, signed by the pod, that it must stop and that deletion is asked.
    told = [shop.notification(n.body) for n in callback.wait_for(1, timeout=15)]
    [revoked] = [n for n in told if n.type == "Revoke"]
    assert revoked.grant == grant.id and revoked.deletion_requested
    with pytest.raises(GrantRevoked):
        shop.read("/profile", grant)

    receipt = shop.acknowledge_deletion(grant, STATEMENT)  # checked against the pod's keys
    assert receipt.grant_id == grant.id
    assert shop.verify_pod_token(receipt.token, "deletion-receipt+jwt")["sub"] == grant.id

    page.goto(f"{server.url}/app/grants/{grant.id}")
    confirmed = page.locator('[data-deletion="confirmed"]')
    expect(confirmed).to_contain_text(
        f"They confirmed on {receipt.acknowledged_at:%-d %b %Y, %H:%M} UTC that they deleted "
        f"what they held: “{STATEMENT}”"
    )
    expect(confirmed.locator("b")).to_have_count(0)  # the statement's markup is only text
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "it overflows"
    shot(page, "done-when-5-deletion-confirmed")
    return receipt


# -- 6. the shop's page: a report for an authority and a signed archive ------------------------


def evidence_about_the_shop(
    page: Page, server, shop: PodClient, receipt: DeletionReceipt, unpacked: Path
) -> None:
    page.get_by_role("link", name="Everything about Example Shop").click()
    expect(page.locator('[data-deletion="confirmed"]')).to_contain_text(STATEMENT)
    shot(page, "done-when-6-vendor")

    page.get_by_role("link", name="Report for a data-protection authority").click()
    says_the_deletion_was_confirmed(page, receipt)
    shot(page, "done-when-6-report")
    page.go_back()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the signed archive").click()
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    assert {"evidence.json", "evidence.jws", "report.html"} <= set(archive.namelist())
    signed_by_the_pod(archive, server.url, shop.vendor_id)
    # The archive's report, opened from disk by whoever the customer hands it to.
    archive.extract("report.html", unpacked)
    page.goto((unpacked / "report.html").as_uri())
    expect(page.locator("footer")).to_contain_text(f"Vendor id {shop.vendor_id}")
    says_the_deletion_was_confirmed(page, receipt)


def says_the_deletion_was_confirmed(page: Page, receipt: DeletionReceipt) -> None:
    expect(page.locator("h1")).to_have_text("Evidence about Example Shop")
    when = f"{receipt.acknowledged_at:%-d %b %Y, %H:%M} UTC"
    confirmed = page.locator("dt", has_text="Deletion confirmed").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(confirmed).to_have_text(f"{when}, signed by the vendor: “{STATEMENT}”")
    expect(confirmed.locator("b")).to_have_count(0)
    row = page.locator("table.timeline tr", has_text="confirmed the deletion")
    expect(row).to_contain_text(
        "Example Shop confirmed the deletion, signed with its key; the pod signed a receipt."
    )
    expect(row.locator(".hint")).to_have_text(f"Example Shop said: “{STATEMENT}”")


def signed_by_the_pod(archive: zipfile.ZipFile, pod_url: str, vendor_id: str) -> None:
    """Checked as the report tells an authority to: the signature against the pod's published
    keys, then each file against the hash it signed."""
    token = archive.read("evidence.jws").decode().strip()
    keys = jwt.PyJWKSet.from_dict(
        requests.get(f"{pod_url}/.well-known/jwks.json", timeout=10).json()
    )
    key = keys[jwt.get_unverified_header(token)["kid"]].key
    claims = jwt.decode(token, key, algorithms=["EdDSA"], issuer=pod_url)
    assert claims["vendor_id"] == vendor_id
    signed = {f["name"]: f["sha256"] for f in claims["files"]}
    assert {"evidence.json", "report.html"} <= set(signed)
    for name, digest in signed.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
