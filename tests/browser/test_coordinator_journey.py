"""The coordinator's journey in a real browser (Chromium): allocate a pledge across
recipient posts on the pledge page (one refused allocation first), open the dashboard, have
a recipient post receive an item through the JSON API with a token, reload the dashboard and
see the count change, look at the map with its routes, and filter the audit trail. Every
page is saved as a screenshot on a phone and on a laptop in test-artifacts/screenshots/."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests import factories
from tests.browser.conftest import Pages, sign_in
from tests.browser.journeys import Screenshot, Shots, expect, marker, real_errors, same_document
from tests.factories import PASSWORD, World
from tests.web.staff import VALID_S10

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLE = "Green computers for the Pacific"


@pytest.fixture
def pledge(world: World) -> dict[str, Any]:
    """A Korea Post pledge of 10 computers, all registered, not allocated yet."""
    p = factories.pledge(world, quantity=10, title=TITLE, programme="KOICA fund")
    factories.items(world, p["id"], 10, prefix="KR7G-")
    return p


def allocate(page: Page, recipient: str, quantity: int) -> None:
    page.select_option("#f-recipient", recipient)
    page.fill("#f-quantity", str(quantity))
    page.get_by_role("button", name="Allocate", exact=True).click()


def allocate_across_posts(page: Page, shots: Shots, pledge_id: int) -> None:
    expect(page.locator("#allocations")).to_contain_text("Not allocated yet.")
    shots(page, "pledge not allocated")
    allocate(page, "TOPOST", 4)
    expect(page.locator(".toast")).to_contain_text("4 units allocated to Tonga Post.")
    expect(page.locator("#allocations h3")).to_contain_text("6 units remain")
    allocate(page, "FJPOST", 7)
    expect(page.locator("#e-quantity")).to_have_text(
        f"pledge {pledge_id} has 10 units, 4 allocated; only 6 remain, not 7"
    )
    expect(page.locator("#f-quantity")).to_have_value("7")
    expect(page.locator("#f-recipient")).to_have_value("FJPOST")
    shots(page, "allocation above what remains")
    allocate(page, "FJPOST", 3)
    expect(page.locator(".toast")).to_contain_text("3 units allocated to Post Fiji.")
    rows = page.locator("#allocations tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Post Fiji")).to_contain_text("3")
    expect(page.locator("#allocations h3")).to_contain_text("3 units remain")
    shots(page, "pledge allocated")


def korea_ships(world: World, pledge_id: int) -> list[dict[str, Any]]:
    """Korea Post sends 3 items to Tonga Post by post (through the API)."""
    s = factories.shipment(
        world,
        pledge_id,
        "TOPOST",
        mode="post",
        carrier="Korea Post EMS",
        expected_arrival="2099-01-31",
    )
    world.ok(world.post("korea", f"/api/v1/shipments/{s['id']}/items", json={"count": 3}))
    world.ok(
        world.post(
            "korea", f"/api/v1/shipments/{s['id']}/dispatch", json={"tracking_number": VALID_S10}
        )
    )
    return world.ok(world.get("coord", f"/api/v1/shipments/{s['id']}/items"))


def receive_with_a_token(base_url: str, tag: str) -> None:
    """Tonga Post's own system: a token from /api/v1/auth/token, then a scan."""
    with httpx.Client(base_url=base_url, timeout=10) as api:
        answer = api.post("/api/v1/auth/token", data={"username": "tonga", "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        token = answer.json()["access_token"]
        scan = api.post(
            "/api/v1/scans",
            json={"tag": tag, "action": "receive"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert scan.status_code == 200, scan.text
        assert scan.json()["state"] == "received"


def stage(page: Page, key: str) -> Any:
    return page.locator(f'.dash-bars li[data-stage="{key}"] strong')


def dashboard(page: Page, shots: Shots, base_url: str, items: list[dict[str, Any]]) -> None:
    page.goto("/dashboard")
    expect(page.locator("h1")).to_have_text("Programme dashboard")
    expect(stage(page, "allocated")).to_have_text("7")
    expect(stage(page, "in_transit")).to_have_text("3")
    expect(stage(page, "received")).to_have_text("0")
    shots(page, "dashboard")

    receive_with_a_token(base_url, items[0]["tag"])
    page.reload()
    expect(stage(page, "received")).to_have_text("1")
    expect(stage(page, "in_transit")).to_have_text("2")
    shots(page, "dashboard after a receipt")

    the_map = page.locator("svg.dash-map")
    expect(the_map).to_be_visible()
    routes = the_map.locator("path.route")
    expect(routes).to_have_count(1)
    expect(routes.first.locator("title")).to_contain_text("Seoul → Nuku'alofa")
    box = the_map.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150, box
    expect(the_map.locator("g.post")).not_to_have_count(0)
    shots.element(the_map, "coordinator_journey--map")


def events(page: Page, shots: Shots, items: list[dict[str, Any]]) -> None:
    page.get_by_role("link", name="Events").click()
    page.wait_for_url("**/events")
    expect(page.locator("h1")).to_have_text("Audit trail")
    shots(page, "events")
    results = page.locator("#results tbody tr")
    marker(page)
    page.select_option("#f-org", "TOPOST")
    expect(page).to_have_url(re.compile(r"organisation=TOPOST"))
    expect(results.first).to_have_attribute("data-kind", "item.received")
    page.select_option("#f-kind", "item.received")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Received")
    expect(results.first).to_contain_text("scanned")
    expect(results.first).to_contain_text("tonga")
    assert same_document(page), "filtering reloaded the page"
    shots(page, "events filtered")
    page.select_option("#f-kind", "")
    page.select_option("#f-org", "")
    expect(page).not_to_have_url(re.compile(r"organisation=TOPOST"))
    tag = items[1]["tag"]
    page.fill("#f-tag", f"{tag[:4]}-{tag[4:8]}-{tag[8:]}".lower())
    page.locator("#f-tag").press("Enter")
    expect(results).to_have_count(2)  # packed, dispatched: not received yet
    expect(results.nth(0)).to_have_attribute("data-kind", "item.dispatched")
    expect(results.nth(1)).to_have_attribute("data-kind", "item.packed")
    shots(page, "events by tag")


def test_coordinator_journey(
    pages: Pages, screenshot: Screenshot, world: World, base_url: str, pledge: dict[str, Any]
) -> None:
    page = pages()
    shots = Shots(screenshot)
    sign_in(page, "coord", f"/pledges/{pledge['id']}")
    allocate_across_posts(page, shots, pledge["id"])

    items = korea_ships(world, pledge["id"])
    page.goto("/shipments")
    expect(page.locator("main tbody tr")).to_have_count(1)
    shots(page, "shipments")
    page.locator("main tbody a.tag").click()
    page.wait_for_url(re.compile(r"/shipments/\d+$"))
    expect(page.locator("main")).to_contain_text("0 of 3 received")
    shots(page, "shipment dispatched")

    dashboard(page, shots, base_url, items)
    events(page, shots, items)
    assert len(set(shots.taken)) == len(shots.taken)
    assert real_errors(pages.errors) == []
