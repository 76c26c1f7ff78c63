"""The scan landing page in a real browser (Chromium on a phone-sized screen): what someone
sees after pointing a phone camera at a label, signing in from there, receiving, reporting
damage, deploying with the phone's position, closing a shipment, and the same receipt with
JavaScript turned off. Each step leaves a screenshot in test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import Pages, fill_sign_in, sign_in
from tests.factories import World
from tests.web.helpers import MODEL, PROGRAMME, TITLE, grouped, item, item_events, shipped

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Screenshot = Callable[["Page", str], Path]
TONGA = {"latitude": -21.1393, "longitude": -175.2049}


@pytest.fixture
def sent(world: World) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A dispatched shipment of 3 Korea Post items to Tonga Post: (pledge, shipment, items)."""
    return shipped(world, count=3)


def expect(page: Page) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(page)


def expect_in(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_anonymous_scan_of_an_item_url(pages: Pages, screenshot: Screenshot, sent: Any) -> None:
    it = sent[2][0]
    page = pages()
    page.goto(f"/T/{it['tag']}")  # what the QR code holds
    main = page.locator("main")
    expect_in(main.locator("h1")).to_have_text(MODEL)
    for shown in (TITLE, "Korea Post", PROGRAMME, grouped(it["tag"])):
        expect_in(main).to_contain_text(shown)
    expect_in(main).not_to_contain_text(it["serial"])
    expect_in(main).not_to_contain_text("Tonga Post")
    screenshot(page, "item anonymous")
    page.goto("/t/0000-0000-0000")
    expect_in(page.locator("h1")).to_have_text("Not found")
    screenshot(page, "unknown tag anonymous")
    assert [e for e in pages.errors if "404" not in e] == []


def test_sign_in_from_the_tag_page_and_land_back_on_it(
    pages: Pages, screenshot: Screenshot, sent: Any
) -> None:
    it = sent[2][0]
    page = pages()
    page.goto(f"/T/{it['tag']}")
    page.get_by_role("link", name="Sign in to confirm receipt").click()
    page.wait_for_url(re.compile(r"/login\?next=/t/"))
    screenshot(page, "sign in form")
    fill_sign_in(page, "tonga")
    page.wait_for_url(f"**/t/{it['tag']}")
    expect_in(page.locator("main")).to_contain_text(it["serial"])
    expect_in(page.get_by_role("button", name="Receive", exact=True)).to_be_visible()
    expect_in(page.locator(".toast")).to_contain_text("Welcome, tonga.")
    screenshot(page, "item in transit recipient")
    assert pages.errors == []


def test_receive(pages: Pages, screenshot: Screenshot, sent: Any, world: World) -> None:
    it = sent[2][0]
    page = pages()
    sign_in(page, "tonga", f"/t/{it['tag']}")
    page.get_by_role("button", name="Receive", exact=True).click()
    panel = page.locator("#panel")
    expect_in(panel).to_contain_text("Received in good condition.")
    expect_in(panel.get_by_role("button", name="Deploy")).to_be_visible()
    expect_in(page.locator("main .badge").first).to_have_text("received")
    screenshot(page, "item received")
    after = item(world, it["tag"])
    assert after["state"] == "received" and after["condition"] == "good"
    assert len(item_events(world, it["id"], "item.received")) == 1
    page.reload()
    expect_in(page.locator("main")).to_contain_text("Received")
    expect_in(page.locator(".timeline")).to_contain_text("Received")
    screenshot(page, "item received reloaded")
    assert pages.errors == []


def test_receive_damaged_with_a_note(
    pages: Pages, screenshot: Screenshot, sent: Any, world: World
) -> None:
    it = sent[2][0]
    page = pages()
    sign_in(page, "tonga", f"/t/{it['tag']}")
    page.locator("summary", has_text="Receive damaged").click()
    page.fill("#note", "Screen cracked in the corner")
    screenshot(page, "item receive damaged form")
    page.get_by_role("button", name="Receive damaged").click()
    expect_in(page.locator("#panel")).to_contain_text("Received, marked as damaged.")
    expect_in(page.locator("main")).to_contain_text("damaged")
    screenshot(page, "item received damaged")
    after = item(world, it["tag"])
    assert after["state"] == "received" and after["condition"] == "damaged"
    events = item_events(world, it["id"], "item.received")
    assert [e["data"].get("note") for e in events] == ["Screen cracked in the corner"]
    assert pages.errors == []


def test_deploy_with_the_phones_position(
    pages: Pages, screenshot: Screenshot, sent: Any, world: World
) -> None:
    it = sent[2][0]
    world.ok(world.post("tonga", "/api/v1/scans", json={"tag": it["tag"], "action": "receive"}))
    page = pages(permissions=["geolocation"], geolocation=TONGA)
    sign_in(page, "tonga", f"/t/{it['tag']}")
    locate = page.get_by_role("button", name="Use my location")
    expect_in(locate).to_be_visible()
    screenshot(page, "item deploy form")
    locate.click()
    expect_in(page.locator("#lat")).to_have_value("-21.13930")
    expect_in(page.locator("#lon")).to_have_value("-175.20490")
    expect_in(page.locator("[data-geo-status]")).to_have_text("Position filled in.")
    page.fill("#site", "Nuku'alofa Post Office")
    screenshot(page, "item deploy form filled")
    page.get_by_role("button", name="Deploy", exact=True).click()
    expect_in(page.locator("#panel")).to_contain_text("Deployed at Nuku'alofa Post Office.")
    screenshot(page, "item deployed")
    after = item(world, it["tag"])
    assert after["state"] == "deployed" and after["site"] == "Nuku'alofa Post Office"
    assert after["lat"] == pytest.approx(TONGA["latitude"])
    assert after["lon"] == pytest.approx(TONGA["longitude"])
    assert pages.errors == []


def test_deploy_without_a_site_keeps_the_form(
    pages: Pages, screenshot: Screenshot, sent: Any, world: World
) -> None:
    """The browser itself asks for the site (`required`); nothing is posted."""
    it = sent[2][0]
    world.ok(world.post("tonga", "/api/v1/scans", json={"tag": it["tag"], "action": "receive"}))
    page = pages()
    sign_in(page, "tonga", f"/t/{it['tag']}")
    page.get_by_role("button", name="Deploy", exact=True).click()
    assert page.locator("#site").evaluate("e => e.validity.valueMissing") is True
    assert item(world, it["tag"])["state"] == "received"


def test_close_a_shipment(pages: Pages, screenshot: Screenshot, sent: Any, world: World) -> None:
    _, s, items = sent
    world.ok(
        world.post("tonga", "/api/v1/scans", json={"tag": items[0]["tag"], "action": "receive"})
    )
    page = pages()
    sign_in(page, "tonga", f"/t/{s['tag']}")
    main = page.locator("main")
    expect_in(main).to_contain_text("1 of 3 received")
    expect_in(main).to_contain_text("Not received yet (2)")
    screenshot(page, "shipment checklist")
    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Close shipment").click()
    expect_in(page.locator(".toast")).to_contain_text("Shipment closed; 2 items marked missing.")
    assert page.url.endswith(f"/t/{s['tag']}")
    assert dialogs == ["Close this shipment? The 2 items not received will be marked missing."]
    expect_in(main.locator(".badge.closed")).to_be_visible()
    expect_in(page.get_by_role("button", name="Close shipment")).to_have_count(0)
    screenshot(page, "shipment closed")
    assert world.ok(world.get("coord", f"/api/v1/shipments/{s['id']}"))["status"] == "closed"
    assert [item(world, i["tag"])["state"] for i in items] == ["received", "missing", "missing"]
    assert pages.errors == []


def test_dismissing_the_close_dialog_closes_nothing(pages: Pages, sent: Any, world: World) -> None:
    _, s, _ = sent
    page = pages()
    sign_in(page, "tonga", f"/t/{s['tag']}")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Close shipment").click()
    page.wait_for_timeout(300)
    assert page.url.endswith(f"/t/{s['tag']}")
    assert world.ok(world.get("coord", f"/api/v1/shipments/{s['id']}"))["status"] == "dispatched"


def test_receive_without_javascript(
    pages: Pages, screenshot: Screenshot, sent: Any, world: World
) -> None:
    it = sent[2][0]
    page = pages(java_script_enabled=False)
    page.goto(f"/T/{it['tag']}")
    page.get_by_role("link", name="Sign in to confirm receipt").click()
    fill_sign_in(page, "tonga")
    page.wait_for_url(f"**/t/{it['tag']}")
    screenshot(page, "no js item in transit")
    with page.expect_navigation():
        page.get_by_role("button", name="Receive", exact=True).click()
    assert page.url.endswith(f"/t/{it['tag']}")  # Post/Redirect/Get
    expect_in(page.locator(".toast")).to_contain_text("Received in good condition.")
    expect_in(page.get_by_role("button", name="Deploy", exact=True)).to_be_visible()
    screenshot(page, "no js item received")
    after = item(world, it["tag"])
    assert after["state"] == "received" and after["condition"] == "good"
    # Without JavaScript there is no "Use my location" button: coordinates are typed.
    expect_in(page.get_by_role("button", name="Use my location")).to_have_count(0)


def test_receive_damaged_without_javascript(
    pages: Pages, screenshot: Screenshot, sent: Any, world: World
) -> None:
    it = sent[2][0]
    page = pages(java_script_enabled=False)
    sign_in(page, "tonga", f"/t/{it['tag']}")
    page.locator("summary", has_text="Receive damaged").click()
    page.fill("#note", "Wet box")
    with page.expect_navigation():
        page.get_by_role("button", name="Receive damaged").click()
    expect_in(page.locator(".toast")).to_contain_text("Received, marked as damaged.")
    assert item(world, it["tag"])["condition"] == "damaged"
    screenshot(page, "no js item received damaged")


def test_what_other_viewers_see(
    pages: Pages, screenshot: Screenshot, sent: Any, world: World
) -> None:
    """The donor sees its item without the recipient's actions; another post gets the same
    404 as for a tag that does not exist."""
    _, s, items = sent
    korea = pages()
    sign_in(korea, "korea", f"/t/{items[0]['tag']}")
    expect_in(korea.locator("main")).to_contain_text(items[0]["serial"])
    expect_in(korea.get_by_role("button", name="Receive", exact=True)).to_have_count(0)
    screenshot(korea, "item in transit donor")
    korea.goto(f"/t/{s['tag']}")
    expect_in(korea.locator("main")).to_contain_text("0 of 3 received")
    expect_in(korea.get_by_role("button", name="Close shipment")).to_have_count(0)
    screenshot(korea, "shipment donor")
    fiji = pages()
    sign_in(fiji, "fiji", f"/t/{items[0]['tag']}")
    expect_in(fiji.locator("h1")).to_have_text("Not found")
    expect_in(fiji.locator("main")).not_to_contain_text(MODEL)
    screenshot(fiji, "item of another post")
