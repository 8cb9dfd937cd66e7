"""The consent page's fixes of issue 14, each as the customer meets it in Chromium.

The request card says what is really shared (the customer's own values, the terms the vendor
refuses, risky combinations with a narrower choice), an unticked group shares nothing with
and without JavaScript, and the smaller fixes: contrast and focus, plain errors, links that
say where they go, confirmations in view, times in the customer's zone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from pds import schemas
from tests.browser.steps import (
    DEVICES,
    EMAIL,
    NAME,
    PHONE_WIDTH,
    PURPOSE,
    SCREENSHOTS,
    TIMEOUT_MS,
    ask_for_email_and_name,
    granted,
    new_vendor,
    shot,
    sign_in,
    store_sample_profile,
    submit,
)
from tests.browser.test_accessibility import FOCUSED_JS
from tests.conftest import PASSWORD, claim

pytestmark = pytest.mark.browser

SCHEMA = "https://schema.org/"
INTEREST = str(schemas.VOCAB.interest)
ADVERTISING = "https://w3id.org/dpv#PersonalisedAdvertising"


@pytest.fixture
def no_script_page(browser: Browser, console) -> Iterator[Page]:
    """A desktop page with JavaScript off: what the page does by HTML and CSS alone."""
    context = browser.new_context(java_script_enabled=False, **DEVICES["desktop"])
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console.watch(page)
    yield page
    context.close()


def store_samples(server) -> None:
    store_sample_profile(server)
    sample = schemas.sample_documents()["/preferences"]
    server.pod.data.put("/preferences", sample.encode(), "text/turtle")


def ask_for_profile_and_interests(vendor, name: str = "Example Shop"):
    return vendor.request_access(
        [
            {"resource": "/profile", "modes": ["read"], "fields": [EMAIL, NAME]},
            {"resource": "/preferences", "modes": ["read"], "fields": [INTEREST]},
        ],
        purpose=PURPOSE,
        description="to send you offers you may like",
        duration=dt.timedelta(days=30),
        vendor={"name": name},
    )


def open_card(page: Page, server, request_id: str):
    sign_in(page, server)
    page.goto(f"{server.url}/app/requests")
    return page.locator(f"#request-{request_id}")


def only_grant(server):
    (grant,) = server.pod.grants.list()
    return grant


# -- what the request card says ----------------------------------------------------------------


def test_unticking_a_group_without_javascript_shares_none_of_its_fields(
    no_script_page: Page, server
):
    claim(server)
    store_samples(server)
    pending = ask_for_profile_and_interests(new_vendor(server))
    card = open_card(no_script_page, server, pending.id)
    preferences = card.locator("fieldset").filter(has_text="Your preferences")
    expect(preferences).to_contain_text("They will be able to see this.")

    preferences.get_by_label("Your preferences").uncheck()

    # CSS alone changes the sentence; the field stays ticked (no script), and is ignored.
    expect(preferences.locator(".group-state")).to_have_text(
        "They will not see this.", use_inner_text=True
    )
    expect(preferences.get_by_label("Interests")).to_be_checked()
    shot(no_script_page, "fixes-group-unticked-no-js")
    submit(no_script_page, "Allow what is ticked")

    grant = only_grant(server)
    assert [s.resource for s in grant.scopes] == ["/profile"]
    flash = no_script_page.locator(".flash")
    expect(flash).to_contain_text("Shared with Example Shop for 30 days, until")
    expect(flash).to_contain_text("Not shared, as you unticked it: your preferences.")


def test_unticking_a_group_with_javascript_unticks_and_disables_its_fields(page: Page, server):
    claim(server)
    store_samples(server)
    pending = ask_for_profile_and_interests(new_vendor(server))
    card = open_card(page, server, pending.id)
    profile = card.locator("fieldset").filter(has_text="Your profile")
    profile.get_by_label("Full name").uncheck()  # a choice made before unticking the group

    profile.get_by_label("Your profile").uncheck()

    for field in ("Email address", "Full name"):
        expect(profile.get_by_label(field)).not_to_be_checked()
        expect(profile.get_by_label(field)).to_be_disabled()
    expect(profile.locator(".group-state")).to_have_text(
        "They will not see this.", use_inner_text=True
    )
    shot(page, "fixes-group-unticked")

    profile.get_by_label("Your profile").check()  # back as it was before
    expect(profile.get_by_label("Email address")).to_be_checked()
    expect(profile.get_by_label("Full name")).not_to_be_checked()
    expect(profile.get_by_label("Email address")).to_be_enabled()
    expect(profile.locator(".group-state")).to_have_text(
        "They will be able to see this.", use_inner_text=True
    )


def test_the_card_shows_the_values_that_would_be_shared_not_entry_hints(page: Page, server):
    claim(server)
    store_samples(server)
    without_phone = re.sub(
        r'\s*schema:telephone "[^"]*" ;', "", schemas.sample_documents()["/profile"]
    )
    server.pod.data.put("/profile", without_phone.encode(), "text/turtle")
    pending = new_vendor(server).request_access(
        [
            {"resource": "/profile", "modes": ["read"], "fields": [EMAIL, SCHEMA + "telephone"]},
            {"resource": "/preferences", "modes": ["read"], "fields": [INTEREST]},
        ],
        purpose=PURPOSE,
        description="to keep in touch",
        duration=dt.timedelta(days=30),
        vendor={"name": "Example Shop"},
    )
    card = open_card(page, server, pending.id)

    email = card.locator("li").filter(has=page.get_by_label("Email address"))
    expect(email).to_contain_text("alex@example.org")
    expect(email).to_contain_text("alex.example@example.org")
    expect(card.locator("li").filter(has=page.get_by_label("Phone number"))).to_contain_text(
        "not filled in"
    )
    interests = card.locator("li").filter(has=page.get_by_label("Interests"))
    expect(interests).to_contain_text("cooking")
    expect(interests).to_contain_text("jazz")
    expect(card).not_to_contain_text("one per line")
    expect(card).not_to_contain_text("if you accept email")  # the form's help, not a value
    shot(page, "fixes-values-shown")


def test_the_terms_a_vendor_refuses_are_shown_in_a_warning(page: Page, server):
    claim(server)
    pending = ask_for_email_and_name(new_vendor(server))  # accepts the required terms only

    card = open_card(page, server, pending.id)

    expect(card.locator("[data-refused-terms]")).to_contain_text("They do not accept: No tracking")
    expect(card.locator("dt:text-is('Your terms they accept') + dd")).not_to_contain_text(
        "No tracking"
    )


def test_a_risky_combination_is_flagged_with_a_narrower_choice_that_works(page: Page, server):
    claim(server)
    store_sample_profile(server)
    pending = new_vendor(server).request_access(
        [
            {
                "resource": "/profile",
                "modes": ["read"],
                "fields": [SCHEMA + "birthDate", SCHEMA + "address", NAME],
            }
        ],
        purpose=ADVERTISING,
        description="to show you adverts that fit",
        duration=dt.timedelta(days=365),
        vendor={"name": "Ad Network"},
    )
    card = open_card(page, server, pending.id)
    risk = card.locator("[data-risk='birth-date-and-address-for-marketing']")
    expect(risk).to_contain_text("date of birth and your postal address together")
    shot(page, "fixes-risk")

    submit(page, "Allow it without your date of birth, for 30 days")

    grant = only_grant(server)
    assert grant.scopes[0].fields == frozenset({SCHEMA + "address", NAME})
    assert grant.expires_at - grant.issued_at == dt.timedelta(days=30)


# -- settings: contrast, focus, tokens, the key list ---------------------------------------------


def test_the_revoke_button_of_a_token_can_be_read_and_shows_focus(page: Page, server):
    claim(server)
    server.pod.account.create_token("backup script")
    sign_in(page, server)
    page.goto(f"{server.url}/app/settings")
    revoke = page.get_by_role("button", name="Revoke backup script")

    for _ in range(80):
        page.keyboard.press("Tab")
        if revoke.evaluate("e => e === document.activeElement"):
            break
    else:
        pytest.fail("the Revoke button was never reached with Tab")
    focused = page.evaluate(FOCUSED_JS)
    shot(page, "fixes-revoke-focused")
    assert focused["textContrast"] >= 4.5, focused
    assert focused["outline"] != "none" and focused["ringContrast"] >= 3, focused


def test_a_new_token_is_shown_once_on_a_page_reached_by_a_redirect(page: Page, server):
    claim(server)
    sign_in(page, server)
    page.goto(f"{server.url}/app/settings")
    page.get_by_label("Name of a new token").fill("backup script")

    submit(page, "Create token")

    expect(page).to_have_url(f"{server.url}/app/settings#tokens")
    token = page.locator("[data-new-token]").inner_text()
    assert token.startswith("pds_") and token not in page.url
    page.reload()
    expect(page.locator("[data-new-token]")).to_have_count(0)  # shown once


# -- smaller fixes -------------------------------------------------------------------------------


def test_a_wrong_setup_code_is_explained_without_commands(page: Page, server, console):
    console.allow_error_pages(400)
    server.pod.account.issue_setup_code()
    page.goto(f"{server.url}/app/claim")
    page.get_by_label("Setup code").fill("wrong-code")
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)

    submit(page, "Claim my pod")

    error = page.locator("#claim-error")
    expect(error).to_contain_text("That setup code is wrong or has expired.")
    assert "`" not in error.inner_text() and "pds " not in error.inner_text()


def test_the_home_page_links_to_every_waiting_request_with_distinct_words(page: Page, server):
    claim(server)
    for name in ("Alpha Shop", "Bravo Books", "Corner Cafe", "Delta Deli", "Echo Energy"):
        ask_for_email_and_name(new_vendor(server), name)
    sign_in(page, server)

    links = page.get_by_role("link", name=re.compile(r"^Decide on "))
    expect(links).to_have_count(3)
    texts = links.all_inner_texts()
    assert len(set(texts)) == 3, texts
    assert all("'s request" in t for t in texts), texts
    page.get_by_role("link", name="See all 5 waiting requests").click()
    expect(page).to_have_url(f"{server.url}/app/requests")
    expect(page.locator("article.request")).to_have_count(5)


def test_the_save_confirmation_is_in_view_where_the_page_lands(page: Page, server):
    claim(server)
    store_samples(server)
    sign_in(page, server)
    page.goto(f"{server.url}/app/data")

    submit(page, "Save your preferences")

    saved = page.locator("#preferences-saved")
    expect(saved).to_have_attribute("role", "status")
    expect(saved).to_contain_text("Your changes to your preferences are saved.")
    expect(saved).to_be_in_viewport()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # what the customer sees, not the whole page
    page.screenshot(path=str(SCREENSHOTS / "fixes-saved-in-view-desktop.png"))


def test_the_email_field_says_what_it_expects(page: Page, server):
    claim(server)
    store_sample_profile(server)
    sign_in(page, server)
    page.goto(f"{server.url}/app/data")
    email = page.locator("#profile-email-0")
    email.fill("not-an-email")

    page.get_by_role("button", name="Save your profile").click()

    message = email.evaluate("e => e.validationMessage")
    assert "name@example.org" in message, message
    assert email.get_attribute("title") == "Enter an email address like name@example.org."


def test_a_short_grant_is_confirmed_with_its_time_not_a_date(page: Page, server):
    claim(server)
    store_sample_profile(server)
    pending = new_vendor(server).request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}],
        purpose=PURPOSE,
        description="to check your email once",
        duration=dt.timedelta(seconds=90),
        vendor={"name": "Quick Check"},
    )
    open_card(page, server, pending.id)

    submit(page, "Allow what is ticked")

    flash = page.locator(".flash").inner_text()
    assert re.search(r"for 90 seconds, until \d\d:\d\d UTC\.", flash), flash
    assert str(dt.date.today().year) not in flash, flash


# -- activity ------------------------------------------------------------------------------------


def test_repeated_reads_are_one_line_with_a_count_and_the_fields_read(page: Page, server):
    claim(server)
    store_sample_profile(server)
    shop = new_vendor(server)
    grant = granted(server, ask_for_email_and_name(shop))
    for _ in range(3):
        shop.read("/profile", grant)
    sign_in(page, server)

    page.goto(f"{server.url}/app/activity")

    reads = page.locator(".timeline li[data-action='data.read']")
    expect(reads).to_have_count(1)
    expect(reads).to_have_attribute("data-count", "3")
    expect(reads).to_contain_text("Example Shop read your profile 3 times")
    expect(reads).to_contain_text("Fields read: Full name, Email address")


def test_times_are_shown_in_the_customers_time_zone(page: Page, server):
    claim(server)
    sign_in(page, server)
    page.goto(f"{server.url}/app/settings")
    page.get_by_label("Show times in").select_option("Pacific/Auckland")

    submit(page, "Save the time zone")

    expect(page.locator(".flash")).to_contain_text("Times are now shown in Pacific/Auckland.")
    page.goto(f"{server.url}/app/activity")
    first = page.locator(".timeline time").first
    expect(first).to_contain_text("Auckland time")
    shown = first.inner_text()
    at = dt.datetime.fromisoformat(first.get_attribute("datetime") or "")
    assert f"{at.astimezone(ZoneInfo('Pacific/Auckland')):%-d %b %Y, %H:%M}" in shown, shown


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_chart_names_strangers_and_uses_its_full_width(new_page, server, console, device):
    console.allow_error_pages(401)
    claim(server)
    store_sample_profile(server)
    shop = new_vendor(server)
    shop.read("/profile", granted(server, ask_for_email_and_name(shop)))
    page = new_page(device)
    page.goto(f"{server.url}/app/sign-in")
    page.get_by_label("Password").fill("not the password")
    submit(page, "Sign in")  # a stranger's failed sign-in
    sign_in(page, server)

    page.goto(f"{server.url}/app/activity")

    names = page.locator(".chart-name").all_inner_texts()
    assert any(n.startswith("Failed sign-ins") and "1 attempt" in n for n in names), names
    # "You" is the customer's own changes, never a refusal: a stranger is not "You".
    assert not any(n.startswith("You") and "refused" in n for n in names), names
    row = page.locator(".chart-bars").first.bounding_box()
    main = page.locator("main").evaluate(
        "e => e.clientWidth - parseFloat(getComputedStyle(e).paddingLeft)"
        " - parseFloat(getComputedStyle(e).paddingRight)"
    )
    assert row and row["width"] >= 0.55 * main, (row, main)
    chart = page.locator("figure.chart").bounding_box()
    assert chart and chart["width"] >= 0.9 * main, (chart, main)
    assert page.evaluate("document.documentElement.scrollWidth") <= (
        PHONE_WIDTH if device == "phone" else 1280
    )
    shot(page, "fixes-activity")
