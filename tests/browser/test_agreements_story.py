"""IEEE 7012 agreements in Chromium: the customer chooses the agreement they offer, a vendor
proposes its one alternative, the customer sees both and picks, and the grant says which."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.steps import (
    EMAIL,
    NAME,
    PURPOSE,
    claim_in_browser,
    new_vendor,
    shot,
    store_sample_profile,
    submit,
)
from vendor_client import Alternative, PendingRequest, PodClient

pytestmark = pytest.mark.browser


def ask_with_alternative(shop: PodClient, alternative: str) -> PendingRequest:
    """The shop asks for an email address and a name, proposing `alternative` instead of the
    customer's agreement."""
    return shop.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL, NAME]}],
        purpose=PURPOSE,
        description="to send you your order confirmations",
        duration=dt.timedelta(days=30),
        vendor={"name": "Example Shop", "agreements_accepted": [alternative]},
        agreement=Alternative(alternative),
    )


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_customer_offers_sd_base_and_picks_the_vendors_alternative(new_page, server, device):
    page = new_page(device)
    claim_in_browser(page, server)
    store_sample_profile(server)

    # Settings: the customer offers "Service only" (SD-BASE), in plain words.
    page.goto(f"{server.url}/app/settings")
    section = page.locator("#agreement")
    expect(section.get_by_role("heading")).to_have_text("The agreement you offer")
    expect(section.get_by_text("no tracking, no profiling", exact=False).first).to_be_visible()
    section.get_by_role("radio", name="Service, and they may measure", exact=False).check()
    submit(page, "Offer this agreement")
    expect(page.locator(".flash")).to_contain_text("Service, and they may measure")
    page.locator("#agreement").get_by_role("radio", name="Service only", exact=False).first.check()
    submit(page, "Offer this agreement")
    expect(page.locator(".flash")).to_contain_text("offered your agreement: Service only.")
    assert server.pod.agreements.preferred().id == "SD-BASE"
    shot(page, "agreement-settings")

    # A vendor proposes SD-BASE-A instead; its card shows both agreements, the customer's first.
    shop = new_vendor(server)
    pending = ask_with_alternative(shop, "SD-BASE-A")
    page.goto(f"{server.url}/app/requests")
    card = page.locator(f"#request-{pending.id}")
    agreement = card.locator(f"#r{pending.id}-agreement")
    expect(agreement).to_contain_text("propose one other")
    yours = agreement.get_by_role("radio", name="Yours: Service only", exact=False)
    theirs = agreement.get_by_role(
        "radio", name="Theirs: Service, and they may measure", exact=False
    )
    expect(yours).to_be_checked()
    expect(theirs).not_to_be_checked()
    expect(agreement).to_contain_text(
        "Theirs, compared with yours: They may analyse how you use their service"
    )
    shot(page, "agreement-alternative")

    # The customer takes theirs and allows; the grant page says which agreement applies.
    theirs.check()
    card.get_by_role("button", name="Allow what is ticked").click()
    page.wait_for_load_state()
    expect(page.locator("[data-grant-agreement]")).to_contain_text(
        "Service, and they may measure how their service is used (SD-BASE-A, IEEE 7012)"
    )
    shot(page, "agreement-grant")

    grant = pending.wait(timeout=10)  # the vendor's client checks the pod's signed records
    assert grant.agreement is not None and grant.agreement["id"] == "SD-BASE-A"
    assert [(r.interaction, r.agreed) for r in grant.agreement_records] == [
        ("proffer", None),
        ("answer", None),
        ("decision", "SD-BASE-A"),
    ]

    # How it was agreed, step by step, with the same records the vendor holds.
    page.get_by_role("link", name="How it was agreed").click()
    steps = page.locator("[data-agreement-records] > li")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("You offered your agreement: Service only (SD-BASE).")
    expect(steps.nth(1)).to_contain_text("They proposed another one instead")
    expect(steps.nth(2)).to_contain_text("You allowed access under Service, and they may measure")
    shot(page, "agreement-records")
    for record in grant.agreement_records:
        expect(page.locator(f"#record-{record.id} code").first).to_have_text(record.token)
