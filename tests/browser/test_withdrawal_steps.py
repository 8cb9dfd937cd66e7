"""Withdrawal as easy as consent, proven: for every kind of access the customer can give, taking
it back never takes more steps in Chromium than giving it did.

Each kind is given, then taken back, from the home page (/app/), at desktop and phone widths,
by clicking only what the customer sees; the server and the vendor then say whether the access
really began and really ended.

How steps are counted (`Steps`):

- A click on a link, a button or a fold (a <summary>) is one step; so is every form submitted,
  which is always a click on its button here. Every call of `Steps.click` counts.
- Choosing in a list counts only when it changes what is chosen: leaving a default costs
  nothing. A box ticked by default (as "Also ask them to delete what they already have" is)
  is not touched, so it costs nothing either. No flow here needs typing.
- Opening the home page is where a flow starts, not a step; after it, there is no page.goto.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Locator, Page, expect

import vendor_client
from pds import schemas
from tests.browser.steps import (
    PURPOSE,
    ask_for_email_and_name,
    granted,
    new_vendor,
    shot,
    sign_in,
    store_sample_profile,
)
from tests.conftest import LiveServer, claim
from vendor_client import PodClient, VendorKey, send_offer

pytestmark = pytest.mark.browser

DEVICES = ["desktop", "phone"]
SERVICE_VISIT = """
@prefix schema: <https://schema.org/> .
@prefix pds: <https://w3id.org/vrm-pod/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<#visit> a pds:ServiceRecord ; schema:startDate "2026-03-12"^^xsd:date ;
    schema:description "Brake pads replaced" ; pds:mileage 48200 .
"""
VISIT_HEADLINE = "Service visit on 12 Mar 2026: Brake pads replaced"


class Steps:
    """The customer's actions in one flow, from the home page, counted as the module says."""

    def __init__(self, page: Page, server: LiveServer, what: str):
        self.page = page
        self.what = what
        self.taken: list[str] = []
        page.goto(f"{server.url}/app/")  # the start of the flow, not a step

    def __len__(self) -> int:
        return len(self.taken)

    def __str__(self) -> str:
        return f"{self.what}: {len(self)} steps ({'; '.join(self.taken)})"

    def click(self, target: Locator) -> None:
        """Click a link, a button or a fold the customer sees, and let the page settle."""
        expect(target).to_be_visible()
        self.taken.append(f"click “{' '.join(target.inner_text().split())}”")
        target.click()
        self.page.wait_for_load_state()

    def choose(self, select: Locator, label: str) -> None:
        """Pick `label` in a list: a step only if it was not already picked."""
        if select.locator("option:checked").inner_text().strip() == label:
            return
        self.taken.append(f"choose “{label}”")
        select.select_option(label=label)


def nav(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def take_back(page: Page, server: LiveServer, vendor: str, access: str, kind: str) -> Steps:
    """From the home page: "Who can see what", then the "Take back" of the access whose
    summary says `access`, in `vendor`'s card; screenshots of the page before and after."""
    steps = Steps(page, server, f"taking back {vendor}'s access")
    steps.click(nav(page, "Who can see what"))
    shot(page, f"withdrawal-{kind}-grants")
    card = page.locator("article.vendor-card", has_text=vendor)
    one = card.locator("section.access", has_text=access)
    expect(one).to_have_count(1)
    expect(one.get_by_label("Also ask them to delete what they already have")).to_be_checked()
    kept = card.locator("section.access").count() - 1  # its other accesses stay, and are said to
    steps.click(one.get_by_role("button", name=f"Take back {vendor}'s access"))
    said = (
        f"{vendor} can no longer see your data."
        if not kept
        else f"They still have {kept} other access{'es' if kept > 1 else ''}."
    )
    expect(page.locator(".flash")).to_contain_text(said)
    shot(page, f"withdrawal-{kind}-taken-back")
    return steps


def assert_taken_back(server: LiveServer, grant_id: str) -> None:
    grant = server.pod.grants.get(grant_id)
    assert grant.state == "revoked", grant.state
    assert grant.deletion_requested_at is not None, "the box ticked by default was not honoured"


def assert_withdrawal_as_easy(
    request: pytest.FixtureRequest, given: Steps, taken_back: Steps
) -> None:
    """Taking back takes no more steps than giving; the counts are kept as the test's
    properties too (`-o junit_family=legacy --junitxml=...` writes them out)."""
    request.node.user_properties.append(("steps", f"{given}; {taken_back}"))
    assert len(taken_back) <= len(given), (
        f"taking back is harder than giving: {taken_back} > {given}"
    )


# -- (a) an access request, approved on the requests page --------------------------------------


@pytest.mark.parametrize("device", DEVICES)
def test_an_approved_request_is_taken_back_in_no_more_steps(new_page, server, device, request):
    claim(server)
    store_sample_profile(server)
    shop = new_vendor(server)
    pending = ask_for_email_and_name(shop, "Example Shop")
    page = new_page(device)
    sign_in(page, server)

    given = Steps(page, server, "approving Example Shop's request")
    given.click(page.get_by_role("link", name="Decide on Example Shop's request"))
    card = page.locator(f"#request-{pending.id}")
    given.click(card.get_by_role("button", name="Allow what is ticked"))
    expect(page.locator("[data-grant-state]")).to_have_text("Can see your data")
    grant = pending.wait(timeout=10)
    assert server.pod.grants.get(grant.id).state == "active"
    assert shop.read("/profile", grant)

    taken_back = take_back(page, server, "Example Shop", "Can see your profile", "request")
    assert_taken_back(server, grant.id)
    with pytest.raises(vendor_client.GrantRevoked):
        shop.read("/profile", grant)

    assert_withdrawal_as_easy(request, given, taken_back)


# -- (b) an offer accepted on an intent ----------------------------------------------------------


def published_intent(server: LiveServer) -> dict:
    """The sample intent, published: what a relay hands vendors."""
    name = "small-car"
    sample = schemas.sample_documents()["/intents/small-car"]
    server.pod.data.put(f"/intents/{name}", sample.encode(), "text/turtle")
    return server.pod.intents.publish(name).published


@pytest.mark.parametrize("device", DEVICES)
def test_an_accepted_offer_is_taken_back_in_no_more_steps(new_page, server, device, request):
    claim(server)
    store_sample_profile(server)
    intent = published_intent(server)
    sent = send_offer(
        intent,
        VendorKey.generate(),
        vendor={"name": "Hull Autos"},
        summary="2019 hatchback, automatic.",
        price="11800.00",
        currency="GBP",
        valid_until=(dt.date.today() + dt.timedelta(days=10)).isoformat(),
    )
    page = new_page(device)
    sign_in(page, server)

    given = Steps(page, server, "accepting Hull Autos' offer")
    given.click(nav(page, "What you want"))
    given.click(page.get_by_role("link", name=intent["name"], exact=True))
    offer = page.locator("article.offer", has_text="Hull Autos")
    given.click(offer.get_by_role("button", name="Accept this offer"))
    expect(page.locator(".flash")).to_contain_text("Accepted. Hull Autos can now see")
    decision = sent.wait(timeout=15, interval=0.2)
    assert decision.accepted and decision.pod and decision.grant
    assert server.pod.grants.get(decision.grant.id).state == "active"
    assert decision.pod.read("/profile", decision.grant)

    taken_back = take_back(page, server, "Hull Autos", "Can see your profile", "offer")
    assert_taken_back(server, decision.grant.id)
    with pytest.raises(vendor_client.GrantRevoked):
        decision.pod.read("/profile", decision.grant)

    assert_withdrawal_as_easy(request, given, taken_back)


# -- (c) records shared with another vendor ------------------------------------------------------


def dealer_with_a_service_visit(
    server: LiveServer,
) -> tuple[PodClient, vendor_client.Grant, str]:
    """Example Motors keeps the car's service history in the pod: it, its grant, the visit."""
    dealer = new_vendor(server)
    keeps = dealer.request_access(
        [{"resource": dealer.own_container, "modes": ["read", "append"]}],
        purpose=PURPOSE,
        description="to keep your car's service history in your pod",
        duration=dt.timedelta(days=30),
        vendor={"name": "Example Motors"},
    )
    grant = granted(server, keeps)
    url = dealer.write_record(SERVICE_VISIT, grant, slug="service-2026")
    return dealer, grant, dealer.resource_path(url)


def insurers(server: LiveServer) -> PodClient:
    """Two vendors the records could go to; the customer means Example Insurance."""
    granted(server, ask_for_email_and_name(new_vendor(server), "Corner Bakery"))
    insurer = new_vendor(server)
    granted(server, ask_for_email_and_name(insurer, "Example Insurance"))
    return insurer


def the_share(server: LiveServer, insurer: PodClient) -> vendor_client.Grant:
    """The grant the customer just made, as the insurer finds it."""
    newest = max(server.pod.grants.list(insurer.vendor_id), key=lambda g: g.issued_at)
    assert newest.state == "active"
    return insurer.shared_grant(insurer.approved_requests()[0], grant_id=newest.id, timeout=10)


@pytest.mark.parametrize("device", DEVICES)
def test_a_shared_record_is_taken_back_in_no_more_steps(new_page, server, device, request):
    claim(server)
    dealer, keeps, visit = dealer_with_a_service_visit(server)
    insurer = insurers(server)
    page = new_page(device)
    sign_in(page, server)

    given = Steps(page, server, "sharing the service visit with Example Insurance")
    given.click(nav(page, "My data"))
    given.click(page.get_by_role("link", name="Records vendors saved in your pod"))
    given.click(page.get_by_role("link", name=VISIT_HEADLINE))
    share = page.locator("section.share")
    given.choose(share.get_by_label("Vendor"), "Example Insurance")
    given.click(share.get_by_role("button", name="Share"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shared with Example Insurance")
    shared = the_share(server, insurer)
    assert insurer.read(visit, shared)

    taken_back = take_back(page, server, "Example Insurance", "service-2026", "record")
    assert_taken_back(server, shared.id)
    with pytest.raises(vendor_client.GrantRevoked):
        insurer.read(visit, shared)
    assert dealer.read(visit, keeps), "the dealer's own access is kept"

    assert_withdrawal_as_easy(request, given, taken_back)


@pytest.mark.parametrize("device", DEVICES)
def test_all_of_a_vendors_records_shared_are_taken_back_in_no_more_steps(
    new_page, server, device, request
):
    claim(server)
    _, _, visit = dealer_with_a_service_visit(server)
    insurer = insurers(server)
    page = new_page(device)
    sign_in(page, server)

    given = Steps(page, server, "sharing all of Example Motors' records with Example Insurance")
    given.click(nav(page, "My data"))
    given.click(page.get_by_role("link", name="Records vendors saved in your pod"))
    motors = page.locator("section.card", has_text="Example Motors")
    given.click(motors.get_by_text("Share all of them with another vendor"))
    given.choose(motors.get_by_label("Vendor"), "Example Insurance")
    given.click(motors.get_by_role("button", name="Share"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shared with Example Insurance")
    shared = the_share(server, insurer)
    assert insurer.read(visit, shared)

    taken_back = take_back(page, server, "Example Insurance", "Example Motors", "records")
    assert_taken_back(server, shared.id)
    with pytest.raises(vendor_client.GrantRevoked):
        insurer.read(visit, shared)

    assert_withdrawal_as_easy(request, given, taken_back)
