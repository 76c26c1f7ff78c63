"""Helpers for the donor's and coordinator's journeys in the browser: screenshots of every
page on a phone and on a laptop, Playwright's `expect`, and the script errors that count."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.browser.conftest import PHONE, SCREENSHOTS

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, ViewportSize

Screenshot = Callable[["Page", str], Path]
LAPTOP: ViewportSize = {"width": 1280, "height": 800}


class Shots:
    """`shots(page, "what it shows")`: the whole page on a phone (390x844), then on a laptop
    (1280x800), saved as `<module>--<what-it-shows>-phone.png` and `...-laptop.png`."""

    def __init__(self, screenshot: Screenshot) -> None:
        self.screenshot = screenshot
        self.taken: list[Path] = []

    def __call__(self, page: Page, name: str) -> None:
        page.set_viewport_size(PHONE)
        self.taken.append(self.screenshot(page, f"{name} phone"))
        page.set_viewport_size(LAPTOP)
        self.taken.append(self.screenshot(page, f"{name} laptop"))
        page.set_viewport_size(PHONE)

    def element(self, locator: Locator, name: str) -> None:
        """One element alone (the map), at the laptop's size."""
        page = locator.page
        page.set_viewport_size(LAPTOP)
        path = SCREENSHOTS / f"{name}.png"
        locator.screenshot(path=str(path))
        self.taken.append(path)
        page.set_viewport_size(PHONE)


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def real_errors(errors: list[str]) -> list[str]:
    """Script and console errors, without the browser's notes about 4xx answers (a form
    re-rendered with 422 is expected)."""
    return [
        e
        for e in errors
        if "the server responded with a status of 4" not in e and "Response Status Error" not in e
    ]


def marker(page: Page) -> None:
    """Mark the document, to tell later that htmx swapped in place (the mark is still there)
    rather than a navigation loading a new document (the mark is gone)."""
    page.evaluate("window.__sameDocument = true")


def same_document(page: Page) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))
