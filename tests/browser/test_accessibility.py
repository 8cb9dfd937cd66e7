"""Every page passes axe-core, fits a 375 px phone, and works from the keyboard."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    PHONE_WIDTH,
    ask_for_email_and_name,
    claim_in_browser,
    furnish,
    granted,
    new_vendor,
    shot,
    sign_in,
    sign_out,
    store_sample_profile,
)
from tests.conftest import claim

pytestmark = pytest.mark.browser

AXE = Axe()
# axe-core leaves WCAG 2.2's target size (2.5.8) off by default; on a phone it matters.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}
BLOCKING = ("serious", "critical")


def blocking_violations(page: Page) -> list[str]:
    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in violations
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_every_page_is_accessible_and_fits_the_screen(new_page, console, server, device):
    console.allow_error_pages(404)  # the error page, shown for a grant that does not exist
    page = new_page(device)
    problems: list[str] = []

    def check(name: str, signed_in: bool = True) -> None:
        if signed_in:  # pod.js fills the badge (and a notice) after loading: check the result
            expect(page.locator("[data-pending-count]")).to_have_text("1 waiting")
        shot(page, name)
        problems.extend(f"{name}: {v}" for v in blocking_violations(page))
        width = page.evaluate("document.documentElement.scrollWidth")
        if device == "phone" and width > PHONE_WIDTH:
            problems.append(f"{name}: scrolls sideways, {width} px wide at {PHONE_WIDTH} px")

    page.goto(f"{server.url}/app/claim")
    check("claim", signed_in=False)
    claim_in_browser(page, server)
    pod = furnish(server)
    sign_out(page)
    check("sign-in", signed_in=False)
    sign_in(page, server)
    shop = server.pod.grants.get(pod.active.id).vendor_id
    thread = server.pod.threads.start(shop, "Your order", "Where is my parcel?\nIt was due.")
    for name, path in (
        ("home", "/app/"),
        ("messages", "/app/messages"),
        ("thread", f"/app/messages/{thread.id}"),
        ("records", "/app/records"),
        ("told", "/app/told"),
        ("requests", "/app/requests"),
        ("grants", "/app/grants"),
        ("grant", f"/app/grants/{pod.active.id}"),
        ("grant-revoked", f"/app/grants/{pod.revoked.id}"),
        ("revoke", f"/app/grants/{pod.active.id}/revoke"),
        ("activity", "/app/activity"),
        ("my-data", "/app/data"),
        ("settings", "/app/settings"),
        ("error", "/app/grants/no-such-grant"),
    ):
        page.goto(server.url + path)
        check(name)
    assert not problems, "\n".join(problems)


def test_the_activity_chart_fits_a_phone(phone_page: Page, server):
    claim(server)
    store_sample_profile(server)
    shop = new_vendor(server)
    shop.read("/profile", granted(server, ask_for_email_and_name(shop)))
    sign_in(phone_page, server)
    phone_page.goto(f"{server.url}/app/activity")
    expect(phone_page.locator("figure.chart")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the activity page is {width} px wide"


def test_a_request_can_be_answered_with_the_keyboard_alone(page: Page, server):
    claim(server)
    store_sample_profile(server)
    pending = ask_for_email_and_name(new_vendor(server))
    sign_in(page, server)
    page.goto(f"{server.url}/app/requests")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is off screen"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    card = page.locator(f"#request-{pending.id}")
    allow = card.get_by_role("button", name="Allow what is ticked")
    reached: list[str] = []
    for _ in range(30):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const e = document.activeElement;
                return {
                    what: e.tagName + ' ' + (e.labels?.[0]?.innerText || e.innerText || ''),
                    outline: getComputedStyle(e).outlineStyle,
                };
            }"""
        )
        reached.append(focused["what"])
        assert focused["outline"] != "none", f"no visible focus on {focused['what']}"
        if "Full name" in focused["what"]:
            page.keyboard.press("Space")
        if allow.evaluate("e => e === document.activeElement"):
            break
    else:
        pytest.fail(f"the Allow button was never reached; focus went to {reached}")
    expect(card.get_by_label("Full name")).not_to_be_checked()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("[data-grant-state]")).to_have_text("Can see your data")
    expect(page.locator("main")).not_to_contain_text("Full name")
