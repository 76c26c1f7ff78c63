"""Browser tests: Playwright driving the system Chromium (/usr/bin/chromium, never a
downloaded one) against the test's app served by a real uvicorn server on 127.0.0.1.

Without Chromium or Playwright these tests are skipped, except under CI (the environment
variable CI is set), where CI installs Chromium and they must run: there they fail.
One browser serves the whole run; every test opens its own context (cookies, permissions,
JavaScript on or off) on a phone-sized viewport.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI

from tests.factories import PASSWORD, World
from tests.scans.server import running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Chromium with Playwright (skipped without it, outside CI)"
    )


def _unavailable() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (the Python package) is not installed"
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (install the chromium package)"
    return None


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    """The system Chromium, headless; one for the whole run."""
    chromium = playwright_session.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield chromium
    chromium.close()


@pytest.fixture
def base_url(app: FastAPI, world: World) -> Iterator[str]:
    """The test's app (on the test's database, built with create_app(settings)) served by
    uvicorn in a background thread on a free 127.0.0.1 port."""
    with running_server(app) as url:
        yield url


class Pages:
    """`pages(**context_options)`: a page in a new phone-sized browser context. Script errors
    and console errors of every page are collected in `errors`."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def __call__(self, **options: Any) -> Page:
        context = self.browser.new_context(
            viewport=PHONE,
            base_url=self.base_url,
            locale="en-GB",
            timezone_id="Pacific/Tongatapu",
            **options,
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"script error: {error}"))
        page.on(
            "console",
            lambda message: (
                self.errors.append(f"console: {message.text}") if message.type == "error" else None
            ),
        )
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser: Browser, base_url: str) -> Iterator[Pages]:
    opened = Pages(browser, base_url)
    yield opened
    opened.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """`screenshot(page, "what-it-shows")`: the whole page, saved as a test artifact in
    test-artifacts/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    module = request.node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{module}--{re.sub(r'[^a-z0-9]+', '-', name.lower())}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page: Page, username: str, next_url: str = "/") -> None:
    """Through the sign-in form, as a person: open /login?next=..., type, submit."""
    page.goto(f"/login?next={next_url}")
    fill_sign_in(page, username)
    page.wait_for_url(f"**{next_url}")


def fill_sign_in(page: Page, username: str) -> None:
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
