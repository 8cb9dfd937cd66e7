"""The consent page's fixes of issue 14 that live on the server, driven over HTTP like a browser
without JavaScript: form posts, redirects, headers, and what the audit log records."""

from __future__ import annotations

import base64
import datetime as dt
import re
import zlib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from pds.consent import Action, AuditEvent, Outcome, open_pod
from pds.server.web.activity import activity_chart, charted, timeline
from pds.server.web.words import describe_period, format_time
from tests.conftest import CHEAP_HASHER
from tests.server.test_my_data_page import Page, signed_in
from tests.server.vendor_setup import EMAIL, PURPOSE, new_vendor

STATIC = Path(__file__).resolve().parents[2] / "pds" / "server" / "web" / "static"
INTEREST = "https://w3id.org/vrm-pod/ns#interest"
NAME = "https://schema.org/name"
NOW = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)
SHOP = "s" * 43


@pytest.fixture
def browser(server, owner) -> requests.Session:
    return signed_in(server)


def ask_for_profile_and_interests(server):
    return new_vendor(server).client.request_access(
        [
            {"resource": "/profile", "modes": ["read"], "fields": [EMAIL, NAME]},
            {"resource": "/preferences", "modes": ["read"], "fields": [INTEREST]},
        ],
        purpose=PURPOSE,
        description="to send you offers you may like",
        duration=dt.timedelta(days=30),
        vendor={"name": "Example Shop"},
    )


def test_an_unticked_group_shares_none_of_its_still_ticked_fields(server, browser, customer_data):
    pending = ask_for_profile_and_interests(server)
    page = Page(browser.get(f"{server.url}/app/requests", timeout=10).text)
    action = f"/app/requests/{pending.id}/decide"
    sent = [(n, v) for n, v in page.submission(action) if n != "scope-1"]  # group unticked
    assert ("scope-1-field", INTEREST) in sent  # its field still ticked, as without JavaScript

    answer = browser.post(f"{server.url}{action}", data=[*sent, ("decision", "approve")])

    (grant,) = server.pod.grants.list()
    assert [s.resource for s in grant.scopes] == ["/profile"]
    said = re.sub(r"\s+", " ", answer.text)
    assert "Shared with Example Shop for 30 days, until" in said
    assert "Not shared, as you unticked it: your preferences." in said


def test_a_new_token_is_shown_once_after_a_redirect_and_never_in_a_url(server, browser):
    page = Page(browser.get(f"{server.url}/app/settings", timeout=10).text)
    sent = dict(page.submission("/app/settings/tokens"))

    made = browser.post(
        f"{server.url}/app/settings/tokens",
        data={**sent, "name": "backup script"},
        allow_redirects=False,
        timeout=10,
    )

    assert made.status_code == 303
    assert made.headers["Location"] == "/app/settings#tokens"
    shown = browser.get(f"{server.url}/app/settings", timeout=10).text
    token = re.search(r"data-new-token>(pds_[^<]+)<", shown)
    assert token is not None
    assert token[1] not in made.headers["Location"]
    again = browser.get(f"{server.url}/app/settings", timeout=10).text
    assert "data-new-token" not in again and token[1] not in again
    assert token[1] not in _session_cookie_payload(made.cookies)  # sealed, not only signed


def _session_cookie_payload(cookies) -> str:
    """What anyone holding the page cookie can read of it: Flask signs it but does not encrypt."""
    (value,) = [c.value for c in cookies if c.name.endswith("session")]
    compressed = value.startswith(".")
    data = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode()


def test_static_files_are_addressed_by_version_cached_and_gzipped(server, anonymous):
    page = anonymous.get(f"{server.url}/app/sign-in", timeout=10).text
    href = re.search(r'href="(/app/static/pod\.css\?v=[0-9a-f]+)"', page)
    assert href is not None, "the stylesheet is linked without its version"

    css = anonymous.get(server.url + href[1], headers={"Accept-Encoding": "gzip"}, timeout=10)

    assert css.status_code == 200
    assert css.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in css.headers["Vary"]
    cache = css.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "no-store" not in cache
    assert css.content == (STATIC / "pod.css").read_bytes()  # requests undid the gzip
    assert int(css.headers["Content-Length"]) < len(css.content)
    again = anonymous.get(
        server.url + href[1],
        headers={"Accept-Encoding": "gzip", "If-None-Match": css.headers["ETag"]},
        timeout=10,
    )
    assert again.status_code == 304
    plain = anonymous.get(
        f"{server.url}/app/static/pod.css", headers={"Accept-Encoding": "identity"}, timeout=10
    )
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Cache-Control"] == "no-cache"  # an unversioned address is revalidated
    assert anonymous.get(f"{server.url}/app/static/../blueprint.py", timeout=10).status_code == 404


def test_a_key_rotated_by_another_process_is_listed_at_once(server, browser):
    elsewhere = open_pod(
        server.store, server.settings.pod, server.url, password_hasher=CHEAP_HASHER
    )  # as `pds keys rotate`, or a second server process, would

    new = elsewhere.rotate_keys()

    assert new.kid in browser.get(f"{server.url}/app/settings", timeout=10).text


def test_a_vendors_read_records_the_fields_it_returned(server, reader):
    reader.client.read("/profile", reader.grant)

    (event,) = server.pod.activity.events(action=Action.DATA_READ.value)
    assert event.outcome == Outcome.ALLOWED
    assert event.detail["fields"] == [EMAIL]


def test_an_unknown_time_zone_is_refused_and_nothing_changes(server, browser):
    page = Page(browser.get(f"{server.url}/app/settings", timeout=10).text)
    sent = dict(page.submission("/app/settings/time-zone"))

    answer = browser.post(
        f"{server.url}/app/settings/time-zone", data={**sent, "time_zone": "Mars/Olympus"}
    )

    assert answer.status_code == 400
    assert "is not a time zone this pod knows" in answer.text
    assert server.pod.time_zone.current().key == "UTC"


# -- words, the timeline and the chart, as pure functions ----------------------------------------


def read(at: dt.datetime, fields: list[str] | None, outcome=Outcome.ALLOWED) -> AuditEvent:
    detail: dict = {"grant": "g", "method": "GET"}
    if fields is not None:
        detail["fields"] = fields
    return AuditEvent(1, at, SHOP, Action.DATA_READ, "/profile", outcome, "g", detail)


def test_a_short_period_ends_at_a_time_and_a_long_one_on_a_date():
    start = dt.datetime(2026, 12, 5, 14, 1, 30, tzinfo=dt.UTC)
    short = describe_period(start, start + dt.timedelta(seconds=90))
    long = describe_period(start, start + dt.timedelta(days=30))
    berlin = describe_period(start, start + dt.timedelta(seconds=90), ZoneInfo("Europe/Berlin"))

    assert short == "for 90 seconds, until 14:03 UTC"
    assert long == "for 30 days, until 4 Jan 2027"
    assert berlin == "for 90 seconds, until 15:03 Berlin time"
    assert format_time(start, ZoneInfo("Europe/Berlin")) == "5 Dec 2026, 15:01 Berlin time"


def test_reads_of_one_document_on_one_day_are_one_entry_with_the_fields_read():
    events = [
        read(NOW, [EMAIL]),
        read(NOW - dt.timedelta(hours=1), [NAME, EMAIL]),
        read(NOW - dt.timedelta(hours=2), None, Outcome.REFUSED),
        read(NOW - dt.timedelta(days=1), [EMAIL]),
    ]

    entries = timeline(events)

    assert [(e.count, e.event.outcome) for e in entries] == [
        (2, Outcome.ALLOWED),
        (1, Outcome.REFUSED),
        (1, Outcome.ALLOWED),
    ]
    assert entries[0].fields == ["Full name", "Email address"]  # in the form's order
    assert entries[0].first_at == NOW - dt.timedelta(hours=1)


def test_days_of_the_timeline_are_the_customers_days():
    after = dt.datetime(2026, 12, 5, 11, 30, tzinfo=dt.UTC)  # 00:30 on 6 Dec in Auckland
    events = [read(after, [EMAIL]), read(after - dt.timedelta(hours=1), [EMAIL])]

    assert len(timeline(events)) == 1
    assert len(timeline(events, ZoneInfo("Pacific/Auckland"))) == 2


def test_the_chart_calls_a_strangers_failed_sign_in_so_and_not_you():
    failed = AuditEvent(2, NOW, "anonymous", Action.OWNER_LOGIN, None, Outcome.REFUSED, None, {})
    mine = AuditEvent(3, NOW, "owner", Action.OWNER_LOGIN, None, Outcome.OK, None, {})

    chart = activity_chart(charted([failed, mine, read(NOW, [EMAIL])]), {SHOP: "Shop"}, NOW)

    assert [r.name for r in chart.rows] == ["Shop", "Failed sign-ins"]
    assert (chart.rows[1].total, chart.rows[1].refused) == (1, 1)
