"""Continuous scanning, /scan, in a real browser on a phone-sized screen: typing tags when the
camera cannot read a label (htmx answers the result in place; the form stays ready for the
next tag), and the same without JavaScript. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import Pages, sign_in
from tests.factories import World
from tests.web.helpers import grouped, item, shipped

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Screenshot = Callable[["Page", str], Path]


def expect_in(locator: Locator) -> Any:
    from playwright.sync_api import expect

    return expect(locator)


@pytest.fixture
def cartons(world: World) -> tuple[Any, Any, Any]:
    """Two dispatched shipments to Tonga Post (3 and 2 items) and one to Post Fiji."""
    return shipped(world, count=3), shipped(world, count=2), shipped(world, recipient="FJPOST")


def type_tag(page: Page, text: str) -> None:
    page.fill("#tag", text)
    page.get_by_role("button", name="Receive", exact=True).click()


def test_typing_tags_receives_a_carton(
    pages: Pages, screenshot: Screenshot, cartons: Any, world: World
) -> None:
    (_, carton, items), (_, other, strays), (_, _, fiji_items) = cartons
    page = pages()
    sign_in(page, "tonga", "/scan")
    expect_in(page.locator("h1")).to_have_text("Receive a carton")
    screenshot(page, "scan start")
    result = page.locator("#scan-result")

    type_tag(page, f"http://127.0.0.1/T/{carton['tag']}")  # a shipment label selects it
    expect_in(result).to_have_attribute("data-kind", "shipment")
    expect_in(result).to_contain_text("0 of 3 received")
    expect_in(page.locator("#scan-form [name=shipment]")).to_have_value(str(carton["id"]))
    expect_in(page.locator("#shipment-choice")).to_have_value(str(carton["id"]))
    screenshot(page, "scan shipment selected")

    type_tag(page, grouped(items[0]["tag"]).lower())
    expect_in(result).to_have_attribute("data-kind", "ok")
    expect_in(result).to_contain_text("1 of 3 received")
    chosen = page.locator(f"#shipment-choice option[value='{carton['id']}']")
    expect_in(chosen).to_have_text(f"{grouped(carton['tag'])} · Korea Post · 1 of 3")  # follows
    expect_in(page.locator("#tag")).to_have_value("")  # ready for the next one
    expect_in(page.locator("#tag")).to_be_focused()
    screenshot(page, "scan ok")

    type_tag(page, items[0]["tag"])
    expect_in(result).to_have_attribute("data-kind", "repeat")
    expect_in(result).to_contain_text("1 of 3 received")
    screenshot(page, "scan repeat")

    type_tag(page, strays[0]["tag"])
    expect_in(result).to_have_attribute("data-kind", "unexpected")
    expect_in(result).to_contain_text("belongs to another shipment")
    expect_in(page.locator("#scan-form [name=shipment]")).to_have_value(str(carton["id"]))
    screenshot(page, "scan unexpected")

    type_tag(page, fiji_items[0]["tag"])
    expect_in(result).to_have_attribute("data-kind", "unknown")
    expect_in(result).to_contain_text("Unknown tag")
    screenshot(page, "scan unknown")

    for n, it in enumerate(items[1:], start=2):
        type_tag(page, it["tag"])
        expect_in(result).to_contain_text(f"{n} of 3 received")
        expect_in(result).to_have_attribute("data-kind", "ok")
    screenshot(page, "scan carton complete")

    assert [item(world, i["tag"])["state"] for i in items] == ["received"] * 3
    assert item(world, strays[0]["tag"])["state"] == "received"
    assert item(world, fiji_items[0]["tag"])["state"] == "in_transit"
    status = world.ok(world.get("coord", f"/api/v1/shipments/{carton['id']}"))["status"]
    assert status == "received"
    assert other["id"] != carton["id"]
    assert pages.errors == []


def test_typing_ahead_on_a_slow_link(
    pages: Pages, screenshot: Screenshot, cartons: Any, world: World
) -> None:
    """Over a satellite link an answer takes a while: the next tag is typed and sent before
    the previous answer is in. Every tag is received, and what is being typed is kept."""
    (_, carton, items), _, _ = cartons
    page = pages()
    sign_in(page, "tonga", f"/scan?shipment={carton['id']}")
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 700, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    result = page.locator("#scan-result")
    type_tag(page, items[0]["tag"])
    type_tag(page, items[1]["tag"])  # sent while the first is on its way
    page.fill("#tag", items[2]["tag"][:5])  # being typed when the answers arrive
    expect_in(result).to_contain_text("2 of 3 received", timeout=15_000)
    page.wait_for_timeout(300)
    expect_in(page.locator("#tag")).to_have_value(items[2]["tag"][:5])
    expect_in(result).to_have_attribute("data-kind", "ok")
    assert [item(world, i["tag"])["state"] for i in items] == ["received", "received", "in_transit"]
    assert pages.errors == []


def test_a_scan_that_could_not_be_sent_can_be_sent_again(
    pages: Pages, screenshot: Screenshot, cartons: Any, world: World
) -> None:
    (_, carton, items), _, _ = cartons
    page = pages()
    sign_in(page, "tonga", f"/scan?shipment={carton['id']}")
    page.context.set_offline(True)
    type_tag(page, items[0]["tag"])
    result = page.locator("#scan-result")
    expect_in(result).to_have_attribute("data-kind", "failed")
    expect_in(result.locator("[role=alert]")).to_contain_text(items[0]["tag"])
    expect_in(page.locator("#tag")).to_have_value(items[0]["tag"])  # ready to send again
    screenshot(page, "scan not sent")
    assert item(world, items[0]["tag"])["state"] == "in_transit"
    page.context.set_offline(False)
    page.get_by_role("button", name="Receive", exact=True).click()
    expect_in(result).to_have_attribute("data-kind", "ok")
    expect_in(result).to_contain_text("1 of 3 received")
    expect_in(result.locator("[role=alert]")).to_have_count(0)
    assert item(world, items[0]["tag"])["state"] == "received"


def test_choosing_the_shipment_from_the_list(
    pages: Pages, screenshot: Screenshot, cartons: Any
) -> None:
    (_, carton, _), (_, other, _), _ = cartons
    page = pages()
    sign_in(page, "tonga", "/scan")
    page.select_option("#shipment-choice", str(other["id"]))
    page.wait_for_url(f"**/scan?shipment={other['id']}")
    expect_in(page.locator("#scan-result")).to_contain_text("0 of 2 received")
    page.select_option("#shipment-choice", "")  # "Any shipment"
    page.wait_for_url("**/scan?shipment=")
    expect_in(page.locator("#scan-result")).not_to_contain_text("received")
    assert pages.errors == []


def test_camera_unavailable_says_so(pages: Pages, screenshot: Screenshot, cartons: Any) -> None:
    page = pages()
    sign_in(page, "tonga", "/scan")
    toggle = page.get_by_role("button", name="Start camera")
    expect_in(toggle).to_be_visible()
    toggle.click()
    expect_in(page.locator("#camera [role=status]")).to_have_text(
        "The camera is not available: type the tags instead."
    )
    expect_in(toggle).to_be_hidden()
    expect_in(page.locator("#tag")).to_be_editable()
    screenshot(page, "scan camera unavailable")


def test_the_scanner_works_when_reached_through_the_menu(
    pages: Pages, screenshot: Screenshot, cartons: Any, world: World
) -> None:
    """The menu's links are boosted by htmx (the body is swapped, the scripts in <head> do
    not run again): /scan answers them with a full page load, so its script runs; after a
    boosted visit elsewhere, going back to /scan starts the scanner again."""
    (_, carton, items), _, _ = cartons
    page = pages()
    sign_in(page, "tonga", f"/t/{items[0]['tag']}")
    page.locator("nav").get_by_role("link", name="Scan").click()
    page.wait_for_url("**/scan")
    expect_in(page.get_by_role("button", name="Start camera")).to_be_visible()
    type_tag(page, carton["tag"])
    result = page.locator("#scan-result")
    expect_in(result).to_have_attribute("data-kind", "shipment")
    type_tag(page, items[0]["tag"])
    expect_in(result).to_have_attribute("data-kind", "ok")
    expect_in(result).to_contain_text("1 of 3 received")
    assert page.url.endswith("/scan")  # answered in place, not by a new page

    page.get_by_role(
        "link", name=f"Open the checklist of shipment {grouped(carton['tag'])}"
    ).click()
    page.wait_for_url(f"**/t/{carton['tag']}")
    expect_in(page.locator("main")).to_contain_text("1 of 3 received")
    page.go_back()  # htmx restores /scan from its history (the page is asked for again)
    page.wait_for_url("**/scan")
    expect_in(page.get_by_role("button", name="Start camera")).to_be_visible()
    page.select_option("#shipment-choice", str(carton["id"]))
    page.wait_for_url(f"**/scan?shipment={carton['id']}")
    type_tag(page, items[1]["tag"])
    expect_in(result).to_contain_text("2 of 3 received")
    expect_in(result).to_have_attribute("data-kind", "ok")
    assert page.url.endswith(f"/scan?shipment={carton['id']}")
    assert pages.errors == []


def test_typing_a_tag_without_javascript(
    pages: Pages, screenshot: Screenshot, cartons: Any, world: World
) -> None:
    (_, carton, items), _, _ = cartons
    page = pages(java_script_enabled=False)
    sign_in(page, "tonga", "/scan")
    expect_in(page.get_by_role("button", name="Start camera")).to_be_hidden()
    page.select_option("#shipment-choice", str(carton["id"]))
    page.get_by_role("button", name="Choose").click()
    page.wait_for_url(f"**/scan?shipment={carton['id']}")
    page.fill("#tag", items[0]["tag"])
    with page.expect_navigation():
        page.get_by_role("button", name="Receive", exact=True).click()
    result = page.locator("#scan-result")
    expect_in(result).to_have_attribute("data-kind", "ok")
    expect_in(result).to_contain_text("1 of 3 received")
    screenshot(page, "no js scan ok")
    assert item(world, items[0]["tag"])["state"] == "received"
