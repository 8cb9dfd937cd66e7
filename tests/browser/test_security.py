"""The consent page defends its owner: forged forms, hostile vendor names, cookies, guessing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

import vendor_client
from tests.browser.steps import (
    ask_for_email_and_name,
    granted,
    main_text,
    new_vendor,
    sign_in,
    sign_out,
    store_sample_profile,
    submit,
)
from tests.conftest import PASSWORD, claim

pytestmark = pytest.mark.browser

HOSTILE_NAME = "<img src=x onerror=alert(1)><script>alert(2)</script>"


# -- forged forms from another site ------------------------------------------------------------


class _AttackerSite(BaseHTTPRequestHandler):
    """Serves one page whose forms post to the pod, without the pod's CSRF token."""

    page = b""

    def do_GET(self):
        if self.path == "/favicon.ico":
            body, kind = b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"
        else:
            body, kind = self.page, "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def attacker_site(server) -> Iterator[tuple[ThreadingHTTPServer, type[_AttackerSite]]]:
    handler = type("AttackerSite", (_AttackerSite,), {})
    http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield http, handler
    http.shutdown()
    http.server_close()
    thread.join(timeout=5)


def forged_forms(pod_url: str, grant_id: str) -> bytes:
    """The pod's one-click forms (take back, let it end in an hour) and the password form,
    with every field the pod's own would send but its CSRF token."""
    revoke = escape(f"{pod_url}/app/grants/{grant_id}/revoke")
    shorten = escape(f"{pod_url}/app/grants/{grant_id}/shorten")
    password = escape(f"{pod_url}/app/settings/password")
    return f"""<!doctype html><html lang="en"><head><title>Win a prize</title></head><body>
<form method="post" action="{revoke}">
  <input type="hidden" name="delete" value="yes">
  <input type="hidden" name="back" value="grants">
  <button>Claim your prize</button>
</form>
<form method="post" action="{password}">
  <input type="hidden" name="old_password" value="{escape(PASSWORD)}">
  <input type="hidden" name="new_password" value="the attacker's password">
  <input type="hidden" name="new_password_again" value="the attacker's password">
  <button>Claim another prize</button>
</form>
<form method="post" action="{shorten}">
  <input type="hidden" name="back" value="grants">
  <button name="seconds" value="3600">Claim a third prize</button>
</form>
</body></html>""".encode()


@pytest.mark.parametrize(
    "attacker_host",
    [
        # Another site: the SameSite=Lax cookie stays home, and there is no token either.
        "localhost",
        # The same site on another port (another origin): the cookie goes along, so the
        # CSRF token and the Origin check alone must refuse.
        "127.0.0.1",
    ],
)
def test_a_forged_form_from_another_origin_changes_nothing(
    page: Page, console, server, attacker_site, attacker_host
):
    console.allow_error_pages(400)  # the refusal is the point
    claim(server)
    store_sample_profile(server)
    shop = new_vendor(server)
    grant = granted(server, ask_for_email_and_name(shop))
    ends = server.pod.grants.get(grant.id).expires_at
    sign_in(page, server)

    http, handler = attacker_site
    handler.page = forged_forms(server.url, grant.id)
    page.goto(f"http://{attacker_host}:{http.server_port}/")

    for button in ("Claim your prize", "Claim another prize", "Claim a third prize"):
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.get_by_role("button", name=button).click()
        page.wait_for_load_state()
        response = posted.value
        sent_cookie = response.request.all_headers().get("cookie", "")
        if attacker_host == "localhost":
            assert "pds_session" not in sent_cookie
        else:
            assert "pds_session" in sent_cookie
        assert response.status == 400
        expect(page.get_by_role("heading", level=1)).to_have_text("That did not work")
        expect(page.get_by_role("alert")).to_contain_text("did not come from your pod")
        page.go_back()
        page.wait_for_load_state()

    after = server.pod.grants.get(grant.id)
    assert after.state == "active"
    assert after.expires_at == ends
    assert after.deletion_requested_at is None
    assert shop.read("/profile", grant)
    server.pod.account.verify_password(PASSWORD)  # raises if the password was changed
    page.goto(f"{server.url}/app/grants/{grant.id}")
    expect(page.locator("[data-grant-state]")).to_have_text("Can see your data")


# -- hostile vendor names ----------------------------------------------------------------------


def test_a_vendor_name_with_html_is_shown_as_text(page: Page, server):
    claim(server)
    store_sample_profile(server)
    vendor = new_vendor(server)
    kept = granted(server, ask_for_email_and_name(vendor, HOSTILE_NAME))
    vendor.read("/profile", kept)
    taken_back = granted(server, ask_for_email_and_name(vendor, HOSTILE_NAME))
    server.pod.grants.revoke(taken_back.id)
    with pytest.raises(vendor_client.GrantRevoked):
        vendor.read("/profile", taken_back)

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.clock.install()  # pod.js's 5 s poll, run on demand
    sign_in(page, server)

    # The request arrives while the Requests page is open: pod.js puts it in with innerHTML.
    page.goto(f"{server.url}/app/requests")
    waiting = ask_for_email_and_name(vendor, HOSTILE_NAME)
    page.clock.run_for(5_000)
    expect(page.locator(f"#request-{waiting.id}")).to_be_visible()
    assert_shown_as_text(page, dialogs)

    for path in (
        "/app/",
        "/app/requests",
        "/app/grants",
        f"/app/grants/{kept.id}",
        f"/app/grants/{kept.id}/receipt",
        f"/app/vendors/{vendor.vendor_id}",
        "/app/activity",
    ):
        page.goto(server.url + path)
        assert_shown_as_text(page, dialogs)


def assert_shown_as_text(page: Page, dialogs: list[str]) -> None:
    # The poll that runs at load may re-render the live region: let it happen first.
    page.wait_for_load_state("networkidle")
    where = page.url
    assert HOSTILE_NAME in main_text(page), f"{where}: the name is not shown as written"
    assert page.locator('img[src="x"]').count() == 0, f"{where}: the name became an <img>"
    scripts = page.evaluate(
        "[...document.scripts].filter(s => s.textContent.includes('alert')).length"
    )
    assert scripts == 0, f"{where}: the name became a <script>"
    assert dialogs == [], f"{where}: a script from the name ran"


# -- cookies and headers -----------------------------------------------------------------------


def test_the_session_cookie_and_the_security_headers(page: Page, console, server):
    console.allow_error_pages(404)  # the error page has the headers too
    claim(server)
    page.goto(f"{server.url}/app/sign-in")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as signed_in:
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()

    cookies = [
        h["value"] for h in signed_in.value.headers_array() if h["name"].lower() == "set-cookie"
    ]
    [session] = [c for c in cookies if c.startswith("pds_session=")]
    flags = {part.strip().lower() for part in session.split(";")[1:]}
    assert "httponly" in flags, session
    assert "samesite=lax" in flags, session
    assert "secure" not in flags, "a Secure cookie would never come back over plain http"

    for path in (
        "/app/",
        "/app/requests",
        "/app/grants",
        "/app/activity",
        "/app/data",
        "/app/settings",
        "/app/grants/no-such-grant",
    ):
        headers = page.goto(server.url + path).all_headers()
        where = f"{path}: {headers}"
        csp = headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
        assert "frame-ancestors 'none'" in csp, where
        assert "script-src 'self'" in csp, where
        assert headers["x-frame-options"] == "DENY", where
        assert headers["referrer-policy"] == "no-referrer", where
        assert headers["x-content-type-options"] == "nosniff", where
    sign_out(page)
    headers = page.goto(f"{server.url}/app/sign-in").all_headers()
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


# -- guessing the password ---------------------------------------------------------------------


def try_password(page: Page, password: str) -> int:
    page.get_by_label("Password").fill(password)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return answer.value.status


def test_wrong_passwords_are_refused_readably_then_slowed_down(page: Page, console, server):
    console.allow_error_pages(401, 429)  # the refusals are the point
    claim(server)
    page.goto(f"{server.url}/app/sign-in")
    assert try_password(page, "not my password") == 401
    expect(page.get_by_role("alert")).to_have_text("Wrong password.")
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description("Wrong password.")

    for attempt in range(2, 11):
        assert try_password(page, f"guess number {attempt}") == 401
    assert try_password(page, "guess number 11") == 429
    expect(page.get_by_role("alert")).to_contain_text("Too many failed attempts: try again in")

    # While the door is shut, even the right password gets in nowhere (nothing to learn).
    assert try_password(page, PASSWORD) == 429
    expect(page.get_by_role("alert")).to_contain_text("try again in")
    expect(page).to_have_url(f"{server.url}/app/sign-in")


# -- where sign-in leads -----------------------------------------------------------------------


def test_sign_in_never_leads_to_another_site(page: Page, server):
    claim(server)
    for target, lands_on in (
        ("https://evil.example/", "/app/"),
        ("//evil.example/", "/app/"),
        ("/app//evil.example/", "/app/"),
        ("/\\evil.example/", "/app/"),
        ("/app/activity", "/app/activity"),  # a page of the pod itself is fine
    ):
        page.goto(f"{server.url}/app/sign-in?next={quote(target, safe='')}")
        page.get_by_label("Password").fill(PASSWORD)
        submit(page, "Sign in")
        expect(page).to_have_url(server.url + lands_on)
        sign_out(page)
