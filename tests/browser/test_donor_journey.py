"""The donor's journey in a real browser (Chromium), from a new pledge to the printed labels:
sign in, record a pledge (after a refused one), import serial numbers from a CSV with a bad
row and then the fixed file, search the items, start a shipment to a recipient with
allocation, pack by count (htmx updates the counts in place), dispatch with a valid S10
number checked as it is typed, and open the print-styled label sheet. Every page is saved
as a screenshot on a phone and on a laptop in test-artifacts/screenshots/."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests import factories
from tests.browser.conftest import Pages, sign_in
from tests.browser.journeys import Screenshot, Shots, expect, marker, real_errors, same_document
from tests.factories import World
from tests.web.staff import BAD_S10, VALID_S10

if TYPE_CHECKING:
    from playwright.sync_api import FilePayload, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLE = "Green computers for the Pacific"
PROGRAMME = "Korea-Pacific Green ICT Programme"
ROWS = [f"KR7G-{i:04d},Samsung DM500,refurbished" for i in range(1, 7)]
BAD_CSV = (
    "serial,model,notes\n" + "\n".join(ROWS[:2] + [",Samsung DM500,no serial"] + ROWS[3:]) + "\n"
)
GOOD_CSV = "serial,model,notes\n" + "\n".join(ROWS) + "\n"


def choose_file(page: Page, content: str) -> None:
    upload: FilePayload = {
        "name": "serials.csv",
        "mimeType": "text/csv",
        "buffer": content.encode(),
    }
    page.set_input_files("#f-file", files=[upload])


def record_pledge(page: Page, shots: Shots) -> int:
    page.get_by_role("link", name="New pledge").click()
    page.wait_for_url("**/pledges/new")
    page.fill("#f-title", TITLE)
    page.fill("#f-quantity", "0")
    page.fill("#f-unit_value", "450")
    page.fill("#f-currency", "USD")
    page.fill("#f-programme", PROGRAMME)
    shots(page, "new pledge form")
    page.get_by_role("button", name="Record the pledge").click()
    expect(page.locator("#e-quantity")).to_contain_text("greater than or equal to 1")
    expect(page.locator("#f-title")).to_have_value(TITLE)  # what was typed stays
    expect(page.locator("#f-programme")).to_have_value(PROGRAMME)
    shots(page, "new pledge refused")
    page.fill("#f-quantity", "6")
    page.get_by_role("button", name="Record the pledge").click()
    page.wait_for_url(re.compile(r"/pledges/\d+$"))
    expect(page.locator(".toast")).to_contain_text("Pledge recorded.")
    expect(page.locator("h1")).to_have_text(TITLE)
    shots(page, "pledge recorded")
    return int(page.url.rsplit("/", 1)[1])


def import_items(page: Page, shots: Shots) -> None:
    choose_file(page, BAD_CSV)
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import .alert-error")).to_have_text("row 4: serial is empty")
    expect(page.locator("#items")).to_contain_text("No items registered yet.")
    shots(page, "import bad row")
    choose_file(page, GOOD_CSV)
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".toast")).to_contain_text("6 items registered; nothing else changed.")
    expect(page.locator("#items tbody tr")).to_have_count(6)
    expect(page.locator("#import")).to_have_count(0)  # every unit has its item now
    shots(page, "items imported")


def search_items(page: Page, shots: Shots) -> None:
    marker(page)
    page.fill("#q", "KR7G-0004")
    expect(page.locator("#items tbody tr")).to_have_count(1)
    expect(page.locator("#items tbody")).to_contain_text("KR7G-0004")
    expect(page).to_have_url(re.compile(r"q=KR7G-0004"))
    assert same_document(page), "the live search reloaded the page"
    expect(page.locator("#q")).to_be_focused()  # typing goes on
    shots(page, "items search")
    page.fill("#q", "")
    expect(page.locator("#items tbody tr")).to_have_count(6)


def start_shipment(page: Page, shots: Shots) -> None:
    page.locator("#allocations a", has_text="New shipment").click()
    page.wait_for_url(re.compile(r"/shipments/new\?pledge=\d+&recipient=TOPOST"))
    expect(page.locator("#f-recipient")).to_have_value("TOPOST")
    expect(page.locator("#f-recipient option:checked")).to_have_text("Tonga Post: 4 remaining")
    page.fill("#f-carrier", "Korea Post EMS")
    shots(page, "new shipment form")
    page.get_by_role("button", name="Start the shipment").click()
    page.wait_for_url(re.compile(r"/shipments/\d+$"))
    expect(page.locator(".toast")).to_contain_text("Shipment started: now pack its items.")
    expect(page.locator("h1")).to_have_text("Korea Post → Tonga Post")
    shots(page, "shipment draft")


def pack_by_count(page: Page, shots: Shots) -> None:
    counter = page.locator("#packing .counter")
    expect(counter).to_contain_text("0 packed")
    expect(page.locator("#dispatch-submit")).to_be_disabled()
    marker(page)
    page.fill("#count", "3")
    page.get_by_role("button", name="Pack this many").click()
    expect(page.locator("#packing")).to_contain_text("3 items packed.")
    expect(counter).to_contain_text("3 packed")
    expect(counter).to_contain_text("1 more allowed for TOPOST (allocated 4)")
    expect(page.locator("#packing tbody tr")).to_have_count(3 + 3)  # packed + left to pick
    # The figures outside the block follow (out of band), and nothing reloaded.
    expect(page.locator("#shipment-items")).to_have_text("3")
    expect(page.locator("#dispatch-submit")).to_have_text("Dispatch 3 items")
    expect(page.locator("#dispatch-submit")).to_be_enabled()
    assert same_document(page), "packing reloaded the page"
    shots(page, "packed by count")


def dispatch(page: Page, shots: Shots) -> None:
    check = page.locator("#s10-check")
    page.fill("#f-tracking_number", BAD_S10)
    expect(check).to_have_text("wrong check digit 6 for serial number 12345678: expected 5")
    expect(check).to_have_class("field-error")
    shots(page, "dispatch s10 invalid")
    page.fill("#f-tracking_number", VALID_S10.lower())
    expect(check).to_have_text(f"Valid UPU S10 number: {VALID_S10}")
    expect(check).to_have_class("hint")
    shots(page, "dispatch s10 valid")
    page.get_by_role("button", name="Dispatch 3 items").click()
    expect(page.locator(".toast")).to_contain_text("Shipment dispatched.")
    expect(page.locator("main .page-head .badge").first).to_have_text("dispatched")
    expect(page.locator("main")).to_contain_text("0 of 3 received")
    expect(page.locator("main")).to_contain_text(VALID_S10)
    expect(page.locator("#dispatch")).to_have_count(0)
    shots(page, "shipment dispatched")


def labels(page: Page, shots: Shots) -> None:
    page.get_by_role("link", name="Print labels").click()
    page.wait_for_url(re.compile(r"/shipments/\d+/labels$"))
    expect(page.locator(".sheet .label.shipment")).to_have_count(1)
    expect(page.locator(".sheet .label.item")).to_have_count(3)
    expect(page.locator(".sheet .label.item").first).to_contain_text("S/N KR7G-0001")
    # Print-styled: the sheet is A4 wide (210 mm at 96 dpi), so labels.css is in force.
    width = page.locator(".sheet").evaluate("e => e.getBoundingClientRect().width")
    assert abs(width - 210 / 25.4 * 96) < 2, width
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    shots(page, "labels")
    page.emulate_media(media="print")
    expect(page.locator(".labels-toolbar")).to_be_hidden()
    expect(page.locator("header.topbar")).to_be_hidden()
    shots(page, "labels print")
    page.emulate_media(media="screen")
    page.select_option("#start", "4")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"labels\?start=4"))
    expect(page.locator(".sheet .label.used")).to_have_count(3)
    expect(page.locator(".sheet > div").nth(3)).to_have_class(re.compile(r"label shipment"))
    shots(page, "labels from position 4")


def test_donor_journey(pages: Pages, screenshot: Screenshot, world: World) -> None:
    page = pages()
    shots = Shots(screenshot)
    sign_in(page, "korea", "/pledges")
    expect(page.locator("main")).to_contain_text("No pledges yet.")
    shots(page, "pledges empty")

    pledge_id = record_pledge(page, shots)
    import_items(page, shots)
    search_items(page, shots)

    factories.allocate(world, pledge_id, "TOPOST", 4)  # the coordinator's part
    page.reload()
    expect(page.locator("#allocations tbody tr")).to_have_count(1)
    start_shipment(page, shots)
    pack_by_count(page, shots)
    dispatch(page, shots)
    labels(page, shots)

    page.goto("/pledges")
    expect(page.locator("main tbody tr")).to_have_count(1)
    shots(page, "pledges")
    page.goto("/shipments")
    expect(page.locator("main tbody tr")).to_have_count(1)
    shots(page, "shipments")
    page.get_by_role("link", name="Events").click()
    page.wait_for_url("**/events")
    expect(page.locator("#results tbody tr").first).to_have_attribute(
        "data-kind", "shipment.dispatched"
    )
    expect(page.locator("#results tbody tr").first).to_contain_text("Shipment dispatched")
    shots(page, "events")
    assert len(set(shots.taken)) == len(shots.taken)  # no page saved over another
    assert real_errors(pages.errors) == []
