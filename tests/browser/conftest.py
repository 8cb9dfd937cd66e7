"""Headless Chromium against the live pod: one browser per worker, a fresh context per page.

Debian's /usr/bin/chromium is launched by path; `playwright install` is never needed. Every page
a test opens is watched for console errors and uncaught exceptions: a test whose pages logged
one fails, even when its own assertions passed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from tests.browser.steps import DEVICES, TIMEOUT_MS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# expect() has its own default (5 s), shorter than pod.js's 5 s poll plus a page load.
expect.set_options(timeout=TIMEOUT_MS)

_console = pytest.StashKey["ConsoleWatch"]()
_FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


@dataclasses.dataclass
class ConsoleWatch:
    """The console errors and uncaught exceptions of one test's pages.

    One kind of message can be excused, and only by the test itself: Chromium logs "Failed to
    load resource: ... status of 400" for a *page* (not only for a script or an image) that
    answers with an error status. A test that opens a refusal page on purpose (a forged form,
    a wrong password, a grant that does not exist) says so with `allow_error_pages(400)`; the
    same message for any other status, or for a subresource, still fails the test.
    """

    allowed_statuses: set[int] = dataclasses.field(default_factory=set)
    documents: set[tuple[str, int]] = dataclasses.field(default_factory=set)
    messages: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def allow_error_pages(self, *statuses: int) -> None:
        self.allowed_statuses.update(statuses)

    def watch(self, page: Page) -> None:
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.messages.append((page.url, f"uncaught {error}")))
        page.on(
            "response",
            lambda r: (
                r.request.resource_type == "document" and self.documents.add((r.url, r.status))
            ),
        )

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.messages.append((message.location.get("url") or page.url, message.text))

    def errors(self) -> list[str]:
        return [f"{url}: {text}" for url, text in self.messages if not self._excused(url, text)]

    def _excused(self, url: str, text: str) -> bool:
        failed = _FAILED_LOAD.match(text)
        return bool(
            failed
            and int(failed[1]) in self.allowed_statuses
            and (url, int(failed[1])) in self.documents
        )


@pytest.fixture
def backend() -> str:
    """Browser tests run on SQLite only: the storage layer is tested on both backends elsewhere."""
    return "sqlite"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium per xdist worker."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def console(request) -> ConsoleWatch:
    """What this test's pages logged; `console.allow_error_pages(404)` excuses refusal pages."""
    return request.node.stash.setdefault(_console, ConsoleWatch())


@pytest.fixture
def new_page(browser: Browser, console: ConsoleWatch) -> Iterator[Callable[[str], Page]]:
    """Opens a page in a fresh context: `new_page("phone")`. Its console errors fail the test."""
    contexts: list[BrowserContext] = []

    def open_page(device: str = "desktop") -> Page:
        context = browser.new_context(**DEVICES[device])
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        console.watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    """A desktop-sized page (1280x800)."""
    return new_page("desktop")


@pytest.fixture
def phone_page(new_page) -> Page:
    """A phone-sized touch page (375x740)."""
    return new_page("phone")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """A test whose pages logged a console error or threw fails, even if it passed otherwise.

    The pod serves its favicon and everything its pages load, so any error is a defect (a CSP
    violation, a failed fetch, a bug in pod.js); see ConsoleWatch for the one excuse.
    """
    result = yield
    watch = item.stash.get(_console, None)
    errors = watch.errors() if watch else []
    if errors:
        raise AssertionError("the pages logged errors:\n" + "\n".join(errors))
    return result
