"""A vendor whose website proves its key, and a look-alike, do not look alike (§18).

The customer already shares with Example Shop, whose website shop.localhost (a real HTTPS site on
loopback, its certificate from a CA made for the test) lists its key. Example Shop asks again,
and so does an impostor with the same name and a website that reads the same, spelt with two
Cyrillic letters. The requests page shows the first as verified, its domain prominent, and the
second as not verified, with a dashed border, a label and a warning in words, at 1280 and 375 px;
the home page and the grant's page say the same in short.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    EMAIL,
    PURPOSE,
    claim_in_browser,
    granted,
    shot,
    store_sample_profile,
)
from tests.server.vendor_identity_site import LocalCA, VendorSite, proof_of
from vendor_client import PendingRequest, PodClient, VendorKey

pytestmark = pytest.mark.browser

SHOP = "shop.localhost"
IMPOSTOR = "sh\u043e\u0440.localhost"  # Cyrillic o and er: it reads shop.localhost
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)  # vendors on loopback


@pytest.fixture
def site(tmp_path, monkeypatch) -> Iterator[VendorSite]:
    ca = LocalCA(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.file))  # the pod trusts the test's CA
    site = VendorSite(ca, SHOP)
    yield site
    site.stop()


def ask(vendor: PodClient, homepage: str) -> PendingRequest:
    return vendor.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}],
        purpose=PURPOSE,
        description="to send you your order confirmations",
        duration=dt.timedelta(days=30),
        vendor={"name": "Example Shop", "homepage": homepage},
    )


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_verified_vendor_and_a_look_alike_look_different(server, site, new_page, device):
    store_sample_profile(server)
    shop = PodClient(server.url, VendorKey.generate())
    site.reply = proof_of(shop.key.thumbprint)
    first = granted(server, ask(shop, f"https://{SHOP}:{site.port}/"))
    again = ask(shop, f"https://{SHOP}:{site.port}/")
    impostor = ask(PodClient(server.url, VendorKey.generate()), f"https://{IMPOSTOR}:{site.port}/")

    page: Page = new_page(device)
    claim_in_browser(page, server)
    page.goto(f"{server.url}/app/requests")

    real = page.locator(f"#request-{again.id}")
    fake = page.locator(f"#request-{impostor.id}")
    expect(real.locator(".identity")).to_contain_text(f"Verified: {SHOP}")
    expect(real.locator(".identity-domain")).to_have_text(SHOP)
    expect(real).not_to_contain_text("Be careful")
    expect(fake.locator(".identity")).to_contain_text(
        f"Not verified: It says its website is {IMPOSTOR}, but that website does not confirm it."
    )
    expect(fake.locator(".identity-domain")).to_have_count(0)  # no domain is shown as proven
    warnings = fake.locator(".identity-warnings li")
    expect(warnings.nth(0)).to_have_text(
        f"Be careful: {IMPOSTOR} (in plain letters xn--sh-gmci.localhost) looks like {SHOP}, "
        "the website of Example Shop, which you share or shared data with."
    )
    expect(warnings.nth(1)).to_contain_text("mixes letters of different alphabets (Latin and")
    expect(fake).to_contain_text("In plain letters it is xn--")

    # Different beyond colour: a dashed border around the impostor, a solid edge on the shop.
    border = "e => [getComputedStyle(e).borderTopStyle, getComputedStyle(e).borderLeftWidth]"
    assert real.evaluate(border) == ["solid", "6px"]
    assert fake.evaluate(border)[0] == "dashed"
    assert_accessible(page)
    shot(page, "verified-vendors")

    # The same on the home page's waiting list, and on the page of the shop's grant.
    page.goto(f"{server.url}/app/")
    expect(page.locator(f"#home-request-{again.id}")).to_contain_text(f"verified: {SHOP}")
    impostor_line = page.locator(f"#home-request-{impostor.id}")
    expect(impostor_line).to_contain_text("unverified")
    expect(impostor_line).to_contain_text("check its website")
    assert_accessible(page)
    shot(page, "verified-vendors-home")
    page.goto(f"{server.url}/app/grants/{first.id}")
    expect(page.locator(".identity")).to_contain_text(f"Verified: {SHOP}")
    assert_accessible(page)
    shot(page, "verified-vendors-grant")


def assert_accessible(page: Page) -> None:
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "it overflows"
