"""What the owner does in the browser and what vendors do with vendor_client, for browser tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Page

import vendor_client
from pds import schemas
from tests.conftest import PASSWORD, LiveServer
from vendor_client import Grant, PendingRequest, PodClient, VendorKey

TIMEOUT_MS = 10_000
PHONE_WIDTH = 375
DEVICES: dict[str, dict] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": PHONE_WIDTH, "height": 740},
        "is_mobile": True,
        "has_touch": True,
    },
}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

SCHEMA = "https://schema.org/"
EMAIL, NAME = SCHEMA + "email", SCHEMA + "name"
PURPOSE = "https://w3id.org/dpv#ServiceProvision"


# -- the owner in the browser ------------------------------------------------------------------


def device_of(page: Page) -> str:
    return "phone" if page.viewport_size["width"] <= PHONE_WIDTH else "desktop"


def shot(page: Page, name: str) -> Path:
    """Save a full-page PNG as test-artifacts/screenshots/<name>-<desktop|phone>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{device_of(page)}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def submit(page: Page, button: str) -> None:
    """Click a form's button and let the redirect that follows settle."""
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()


def claim_in_browser(page: Page, server: LiveServer, password: str = PASSWORD) -> None:
    """Claim the pod through the claim form with a fresh setup code."""
    code = server.pod.account.issue_setup_code()
    page.goto(f"{server.url}/app/claim")
    page.get_by_label("Setup code").fill(code)
    page.get_by_label("New password").fill(password)
    page.get_by_label("The same password again").fill(password)
    submit(page, "Claim my pod")


def sign_in(page: Page, server: LiveServer, password: str = PASSWORD) -> None:
    """Sign in through the form; the pod must be claimed."""
    page.goto(f"{server.url}/app/sign-in")
    page.get_by_label("Password").fill(password)
    submit(page, "Sign in")


def sign_out(page: Page) -> None:
    submit(page, "Sign out")


def main_text(page: Page) -> str:
    return page.locator("main").inner_text()


# -- vendors -----------------------------------------------------------------------------------


def new_vendor(server: LiveServer) -> PodClient:
    return PodClient(server.url, VendorKey.generate())


def ask_for_email_and_name(
    pod: PodClient, name: str = "Example Shop", days: int = 30
) -> PendingRequest:
    return pod.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL, NAME]}],
        purpose=PURPOSE,
        description="to send you your order confirmations",
        duration=dt.timedelta(days=days),
        vendor={"name": name, "homepage": "https://shop.example"},
    )


def granted(server: LiveServer, pending: PendingRequest, **decision) -> Grant:
    """The owner allows a request (through the consent service); the vendor gets its grant."""
    server.pod.decisions.approve(pending.id, **decision)
    return pending.wait(timeout=10)


def store_sample_profile(server: LiveServer) -> None:
    sample = schemas.sample_documents()["/profile"]
    server.pod.data.put("/profile", sample.encode(), "text/turtle")


@dataclasses.dataclass
class FurnishedPod:
    """A pod with something on every page: one request waiting, grants active and taken back,
    allowed and refused reads."""

    waiting: PendingRequest
    active: Grant
    revoked: Grant


def furnish(server: LiveServer) -> FurnishedPod:
    store_sample_profile(server)
    shop, bakery, travel = new_vendor(server), new_vendor(server), new_vendor(server)

    active = granted(server, ask_for_email_and_name(shop, "Example Shop"), duration_seconds=86400)
    shop.read("/profile", active)
    shop.read("/profile", active)

    revoked = granted(server, ask_for_email_and_name(bakery, "Corner Bakery"))
    bakery.read("/profile", revoked)
    server.pod.grants.revoke(revoked.id)
    with pytest.raises(vendor_client.GrantRevoked):  # a refused read, for the activity page
        bakery.read("/profile", revoked)

    waiting = ask_for_email_and_name(travel, "Faraway Travel", days=90)
    return FurnishedPod(waiting=waiting, active=active, revoked=revoked)
