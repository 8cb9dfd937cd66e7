"""A dealer's service visit, read in plain words and shared with an insurer from its page, in
real Chromium: every page on the way passes axe-core and fits a phone."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.steps import (
    PHONE_WIDTH,
    PURPOSE,
    ask_for_email_and_name,
    granted,
    new_vendor,
    shot,
    sign_in,
    submit,
)
from tests.browser.test_accessibility import blocking_violations
from tests.conftest import claim

pytestmark = pytest.mark.browser

SERVICE_VISIT = """
@prefix schema: <https://schema.org/> .
@prefix pds: <https://w3id.org/vrm-pod/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<#visit> a pds:ServiceRecord ; schema:startDate "2026-03-12"^^xsd:date ;
    schema:description "Brake pads replaced" ; pds:mileage 48200 .
"""


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_service_visit_is_shared_with_an_insurer_from_its_page(new_page, server, device):
    claim(server)
    dealer = new_vendor(server)
    own = f"/vendors/{dealer.vendor_id}/"
    keeps = dealer.request_access(
        [{"resource": own, "modes": ["read", "append"]}],
        purpose=PURPOSE,
        description="to keep your car's service history in your pod",
        duration=dt.timedelta(days=30),
        vendor={"name": "Example Motors"},
    )
    dealer.append(own, SERVICE_VISIT, granted(server, keeps), slug="service-2026")
    insurer = new_vendor(server)
    granted(server, ask_for_email_and_name(insurer, "Example Insurance"))
    page = new_page(device)
    sign_in(page, server)
    problems: list[str] = []

    def check(name: str) -> None:
        shot(page, name)
        problems.extend(f"{name}: {v}" for v in blocking_violations(page))
        width = page.evaluate("document.documentElement.scrollWidth")
        if device == "phone" and width > PHONE_WIDTH:
            problems.append(f"{name}: scrolls sideways, {width} px wide at {PHONE_WIDTH} px")

    page.goto(f"{server.url}/app/records")
    page.get_by_text("Share all of them with another vendor").click()  # folded without it
    expect(page.get_by_label("Vendor")).to_be_visible()
    check("records-with-share")
    page.get_by_role("link", name="Service visit on 12 Mar 2026: Brake pads replaced").click()
    main = page.locator("main")
    expect(main).to_contain_text("48,200 km")
    check("record-service-visit")

    share = page.locator("section.share")
    share.get_by_label("Vendor").select_option(label="Example Insurance")
    share.get_by_label("For how long").select_option(label="A week")
    submit(page, "Share")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Shared with Example Insurance unverified"
    )
    expect(main).to_contain_text(
        "“Service visit on 12 Mar 2026: Brake pads replaced”, a record Example Motors saved"
    )
    check("shared-confirmation")
    page.get_by_role("link", name="See this access, or take it back").click()
    expect(page.locator("[data-grant-state]")).to_have_text("Can see your data")
    assert not problems, "\n".join(problems)
