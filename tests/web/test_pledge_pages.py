"""The pledge pages (`/pledges`, `/pledges/new`, `/pledges/{id}`) as the donor and the
coordinator use them, signed in through the /login form: who may open them, the new pledge
form, registering items from CSV and XLSX files, the items table with its live search (the
`items` block) and the coordinator's allocations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from donations.db import Database
from tests import factories
from tests.events.helpers import event_count
from tests.factories import World
from tests.web.helpers import WebClient, main_of, text_of
from tests.web.staff import (
    XLSX,
    block_only,
    csv_file,
    field_error,
    full_page,
    htmx_get,
    no_field_errors,
    selected,
    toasts,
    upload,
    value_of,
    varies_on_htmx,
    xlsx,
)

SignedIn = Callable[[str], WebClient]


@pytest.fixture
def korea(signed_in: SignedIn) -> WebClient:
    return signed_in("korea")


@pytest.fixture
def coord(signed_in: SignedIn) -> WebClient:
    return signed_in("coord")


@pytest.fixture
def pledge(world: World) -> dict[str, Any]:
    """A Korea Post pledge of 10 computers, no items yet."""
    return factories.pledge(world, quantity=10, title="Green computers", programme="KOICA fund")


def pledges(world: World) -> list[dict[str, Any]]:
    return world.ok(world.get("coord", "/api/v1/pledges"))["data"]


def pledge_items(world: World, pledge_id: int) -> list[dict[str, Any]]:
    page = world.ok(world.get("coord", f"/api/v1/pledges/{pledge_id}/items?limit=1000"))
    return page["data"]


def allocations(world: World, pledge_id: int) -> list[dict[str, Any]]:
    return world.ok(world.get("coord", f"/api/v1/pledges/{pledge_id}/allocations"))


class TestAccess:
    @pytest.mark.parametrize("who", ["korea", "coord"])
    def test_donor_and_coordinator_open_every_pledge_page(
        self, signed_in: SignedIn, pledge: dict[str, Any], who: str
    ) -> None:
        browser = signed_in(who)
        listing = browser.get("/pledges")
        assert listing.status_code == 200, listing.text
        assert f'href="/pledges/{pledge["id"]}"' in listing.text
        assert "Green computers" in listing.text and "KOICA fund" in listing.text
        assert browser.get("/pledges/new").status_code == 200
        detail = browser.get(f"/pledges/{pledge['id']}")
        assert detail.status_code == 200, detail.text
        assert "<h1>Green computers</h1>" in detail.text

    @pytest.mark.parametrize("path", ["/pledges", "/pledges/new", "/pledges/{id}"])
    def test_a_recipient_gets_403(
        self, signed_in: SignedIn, pledge: dict[str, Any], path: str
    ) -> None:
        response = signed_in("tonga").get(path.format(id=pledge["id"]))
        assert response.status_code == 403, response.text
        assert "This page is not for your role." in response.text
        assert "Green computers" not in response.text

    def test_a_recipient_cannot_post_a_pledge(
        self, signed_in: SignedIn, world: World, db: Database
    ) -> None:
        before = event_count(db)
        response = signed_in("tonga").post(
            "/pledges/new", {"title": "X", "category": "computer", "quantity": "1"}
        )
        assert response.status_code == 403
        assert event_count(db) == before and pledges(world) == []

    def test_another_donor_gets_404_for_someone_elses_pledge(
        self, signed_in: SignedIn, pledge: dict[str, Any]
    ) -> None:
        japan = signed_in("japan")
        for path in (f"/pledges/{pledge['id']}", f"/pledges/{pledge['id']}?q=SN"):
            response = japan.get(path)
            assert response.status_code == 404, response.text
            assert "Green computers" not in response.text
        assert "Green computers" not in japan.get("/pledges").text
        assert japan.get("/pledges/99999").status_code == 404  # the same answer as none

    def test_another_donor_cannot_import_into_it(
        self, signed_in: SignedIn, pledge: dict[str, Any], world: World
    ) -> None:
        url = f"/pledges/{pledge['id']}/items"
        response = upload(signed_in("japan"), url, "items.csv", csv_file([("J1", "M", "")]))
        assert response.status_code == 404
        assert pledge_items(world, pledge["id"]) == []

    def test_anonymous_is_sent_to_sign_in(self, anonymous: WebClient, pledge: Any) -> None:
        response = anonymous.get(f"/pledges/{pledge['id']}")
        assert response.status_code in (302, 303)
        assert response.headers["location"] == f"/login?next=/pledges/{pledge['id']}"


class TestNewPledge:
    def test_quantity_zero_is_422_next_to_the_field_keeping_what_was_typed(
        self, korea: WebClient, world: World, db: Database
    ) -> None:
        before = event_count(db)
        typed = {
            "title": "Laptops & printers",
            "category": "computer",
            "quantity": "0",
            "description": "Refurbished",
            "programme": "KOICA fund",
        }
        response = korea.post("/pledges/new", typed)
        assert response.status_code == 422, response.text
        page = full_page(response)
        assert "greater than or equal to 1" in field_error(page, "quantity")
        for name in ("title", "category", "quantity", "programme"):
            assert value_of(page, name) == typed[name]
        assert ">Refurbished</textarea>" in page
        assert event_count(db) == before and pledges(world) == []

    def test_unit_value_without_currency_is_422_on_the_currency(
        self, korea: WebClient, world: World, db: Database
    ) -> None:
        before = event_count(db)
        typed = {"title": "Scales", "category": "scale", "quantity": "4", "unit_value": "120.50"}
        response = korea.post("/pledges/new", typed)
        assert response.status_code == 422, response.text
        assert "required when unit_value is given" in field_error(response.text, "currency")
        assert value_of(response.text, "unit_value") == "120.50"
        assert value_of(response.text, "quantity") == "4"
        assert event_count(db) == before and pledges(world) == []

    def test_a_pledge_is_recorded_then_redirects_with_a_toast(
        self, korea: WebClient, world: World
    ) -> None:
        response = korea.post(
            "/pledges/new",
            {
                "title": "Green computers",
                "category": "computer",
                "quantity": "200",
                "unit_value": "450",
                "currency": "usd",
                "programme": "KOICA fund",
            },
        )
        assert response.status_code == 303, response.text
        [created] = pledges(world)
        assert response.headers["location"] == f"/pledges/{created['id']}"
        assert created["donor"] == "KRPOST" and created["quantity"] == 200
        page = korea.follow(response)
        assert page.status_code == 200
        assert toasts(page.text) == ["Pledge recorded."]
        assert "450 USD" in text_of(main_of(page.text))
        # Shown once: the toast is gone on the next page.
        assert toasts(korea.get(response.headers["location"]).text) == []

    def test_the_coordinator_chooses_the_donor(self, coord: WebClient, world: World) -> None:
        form = coord.get("/pledges/new").text
        assert 'name="donor"' in form
        missing = coord.post("/pledges/new", {"title": "T", "category": "c", "quantity": "2"})
        assert missing.status_code == 422
        assert "required when a coordinator records a pledge" in field_error(missing.text, "donor")
        assert pledges(world) == []
        response = coord.post(
            "/pledges/new", {"donor": "JPPOST", "title": "T", "category": "c", "quantity": "2"}
        )
        assert response.status_code == 303, response.text
        assert [p["donor"] for p in pledges(world)] == ["JPPOST"]

    def test_a_donor_has_no_donor_field(self, korea: WebClient) -> None:
        assert 'name="donor"' not in korea.get("/pledges/new").text


class TestImport:
    BAD = csv_file(
        [
            ("KR-0001", "Samsung DM500", ""),
            ("", "Samsung DM500", "no serial"),
            ("KR-0003", "Samsung DM500", ""),
        ]
    )
    GOOD = csv_file(
        [
            ("KR-0001", "Samsung DM500", ""),
            ("KR-0002", "Samsung DM500", "spare"),
            ("KR-0003", "Samsung DM500", ""),
        ]
    )

    def test_a_bad_row_names_the_row_and_imports_nothing_then_the_fixed_file_imports_all(
        self, korea: WebClient, pledge: dict[str, Any], world: World, db: Database
    ) -> None:
        url = f"/pledges/{pledge['id']}/items"
        before = event_count(db)
        bad = upload(korea, url, "serials.csv", self.BAD)
        assert bad.status_code == 422, bad.text
        page = full_page(bad)
        section = page[page.index('id="import"') :]
        start = section.index('role="alert"')
        alert = section[start : section.index("</p>", start)]
        assert "row 3: serial is empty" in alert
        assert pledge_items(world, pledge["id"]) == [] and event_count(db) == before
        assert "No items registered yet." in page

        good = upload(korea, url, "serials.csv", self.GOOD)
        assert good.status_code == 303, good.text
        assert good.headers["location"] == f"/pledges/{pledge['id']}"
        after = korea.follow(good)
        assert toasts(after.text) == ["3 items registered; nothing else changed."]
        items = pledge_items(world, pledge["id"])
        assert [i["serial"] for i in items] == ["KR-0001", "KR-0002", "KR-0003"]
        table = after.text[after.text.index('id="items"') :]
        for it in items:
            assert f'href="/t/{it["tag"]}"' in table and it["serial"] in table

    def test_an_xlsx_file_imports(
        self, korea: WebClient, pledge: dict[str, Any], world: World
    ) -> None:
        workbook = xlsx(
            [
                ["serial", "model", "notes"],
                ["X-1", "HP ProDesk", None],
                [20240017, "HP ProDesk", "typed as a number"],
            ]
        )
        response = upload(korea, f"/pledges/{pledge['id']}/items", "serials.xlsx", workbook, XLSX)
        assert response.status_code == 303, response.text
        assert toasts(korea.follow(response).text) == ["2 items registered; nothing else changed."]
        items = pledge_items(world, pledge["id"])
        assert [(i["serial"], i["model"]) for i in items] == [
            ("X-1", "HP ProDesk"),
            ("20240017", "HP ProDesk"),
        ]

    def test_a_bad_xlsx_row_is_named_too(
        self, korea: WebClient, pledge: dict[str, Any], world: World
    ) -> None:
        workbook = xlsx([["serial", "model"], ["A-1", "M"], ["A-1", "M"]])
        response = upload(korea, f"/pledges/{pledge['id']}/items", "serials.xlsx", workbook, XLSX)
        assert response.status_code == 422
        assert "row 3: serial &#39;A-1&#39; repeats row 2" in response.text
        assert pledge_items(world, pledge["id"]) == []

    def test_more_rows_than_the_pledge_is_refused(self, korea: WebClient, world: World) -> None:
        small = factories.pledge(world, quantity=2)
        response = upload(korea, f"/pledges/{small['id']}/items", "s.csv", self.GOOD)
        assert response.status_code == 422
        assert f"pledge {small['id']} is for 2 units" in response.text
        assert pledge_items(world, small["id"]) == []

    def test_no_file_is_422(self, korea: WebClient, pledge: dict[str, Any]) -> None:
        response = korea.post(f"/pledges/{pledge['id']}/items", {})
        assert response.status_code == 422
        assert "choose a CSV or XLSX file" in response.text

    def test_the_form_goes_away_once_every_unit_is_registered(
        self, korea: WebClient, world: World
    ) -> None:
        full = factories.pledge(world, quantity=2)
        factories.items(world, full["id"], 2)
        page = korea.get(f"/pledges/{full['id']}").text
        assert 'id="import"' not in page and 'enctype="multipart/form-data"' not in page


class TestItemsBlock:
    """The items table: keyset pages of 50, and the live search htmx swaps in as `#items`."""

    @pytest.fixture
    def registered(self, world: World, pledge: dict[str, Any]) -> list[dict[str, Any]]:
        return factories.items(world, pledge["id"], 10, prefix="KR-")

    def test_a_plain_search_gets_the_whole_page(
        self, korea: WebClient, pledge: dict[str, Any], registered: list[dict[str, Any]]
    ) -> None:
        response = korea.get(f"/pledges/{pledge['id']}?q=KR-0003")
        assert response.status_code == 200
        page = full_page(response)
        varies_on_htmx(response)
        table = page[page.index('id="items"') :]
        assert "KR-0003" in table and "KR-0004" not in table
        assert 'value="KR-0003"' in table  # the search box keeps what was typed

    def test_an_htmx_search_gets_only_the_items_block(
        self, korea: WebClient, pledge: dict[str, Any], registered: list[dict[str, Any]]
    ) -> None:
        response = htmx_get(korea, f"/pledges/{pledge['id']}?q=KR-000", "items")
        varies_on_htmx(response)
        block = block_only(response, "items")
        assert block.startswith('<section class="card" id="items">')
        assert all(f"KR-{i:04d}" in block for i in range(10))
        one = block_only(htmx_get(korea, f"/pledges/{pledge['id']}?q=KR-0007", "items"), "items")
        assert "KR-0007" in one and "KR-0006" not in one
        assert '<span class="badge pledged">' in one

    def test_search_by_tag_in_any_spelling(
        self, korea: WebClient, pledge: dict[str, Any], registered: list[dict[str, Any]]
    ) -> None:
        tag = registered[4]["tag"]
        typed = f"{tag[:4]}-{tag[4:8]}-{tag[8:]}".lower()
        block = block_only(htmx_get(korea, f"/pledges/{pledge['id']}?q={typed}", "items"), "items")
        assert registered[4]["serial"] in block and registered[5]["serial"] not in block

    def test_filter_by_state(
        self,
        korea: WebClient,
        pledge: dict[str, Any],
        registered: list[dict[str, Any]],
        world: World,
    ) -> None:
        factories.allocate(world, pledge["id"], "TOPOST", 3)
        s = factories.shipment(world, pledge["id"], "TOPOST")
        world.ok(world.post("korea", f"/api/v1/shipments/{s['id']}/items", json={"count": 2}))
        block = block_only(
            htmx_get(korea, f"/pledges/{pledge['id']}?state=packed", "items"), "items"
        )
        assert block.count('<span class="badge packed">') == 2
        assert "KR-0000" in block and "KR-0001" in block and "KR-0002" not in block
        none = htmx_get(korea, f"/pledges/{pledge['id']}?state=deployed", "items")
        assert "No items match." in block_only(none, "items")

    def test_another_target_gets_the_page(
        self, korea: WebClient, pledge: dict[str, Any], registered: list[dict[str, Any]]
    ) -> None:
        full_page(htmx_get(korea, f"/pledges/{pledge['id']}?q=KR", "main"))

    def test_keyset_pages_of_fifty(self, korea: WebClient, world: World) -> None:
        big = factories.pledge(world, quantity=60)
        items = factories.items(world, big["id"], 55, prefix="B-")
        first = main_of(korea.get(f"/pledges/{big['id']}").text)
        table = first[first.index('id="items"') :]
        assert table.count('class="tag" href="/t/') == 50
        after = items[49]["id"]
        assert f'href="/pledges/{big["id"]}?after={after}#items"' in table
        second = main_of(korea.get(f"/pledges/{big['id']}?after={after}").text)
        rest = second[second.index('id="items"') :]
        assert rest.count('class="tag" href="/t/') == 5
        assert "B-0050" in rest and "B-0049" not in rest and "?after=" not in rest


class TestAllocations:
    @pytest.fixture
    def registered(self, world: World, pledge: dict[str, Any]) -> dict[str, Any]:
        factories.items(world, pledge["id"], 10)
        return pledge

    def test_only_the_coordinator_has_the_form(
        self, korea: WebClient, coord: WebClient, registered: dict[str, Any]
    ) -> None:
        action = f'action="/pledges/{registered["id"]}/allocations"'
        assert action in coord.get(f"/pledges/{registered['id']}").text
        assert action not in korea.get(f"/pledges/{registered['id']}").text

    def test_a_donor_cannot_allocate(
        self, korea: WebClient, registered: dict[str, Any], world: World
    ) -> None:
        response = korea.post(
            f"/pledges/{registered['id']}/allocations", {"recipient": "TOPOST", "quantity": "2"}
        )
        assert response.status_code == 403
        assert allocations(world, registered["id"]) == []

    def test_allocate_redirects_with_a_toast_and_the_table(
        self, coord: WebClient, registered: dict[str, Any], world: World
    ) -> None:
        url = f"/pledges/{registered['id']}/allocations"
        response = coord.post(url, {"recipient": "TOPOST", "quantity": "4"})
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/pledges/{registered['id']}#allocations"
        page = coord.follow(response)
        assert toasts(page.text) == ["4 units allocated to Tonga Post."]
        section = page.text[page.text.index('id="allocations"') : page.text.index('id="shipments"')]
        assert "Tonga Post" in section and "6 units remain" in text_of(section)
        assert f"/shipments/new?pledge={registered['id']}&amp;recipient=TOPOST" in section
        assert [(a["recipient"], a["quantity"]) for a in allocations(world, registered["id"])] == [
            ("TOPOST", 4)
        ]

    def test_above_what_remains_is_422_with_the_numbers(
        self, coord: WebClient, registered: dict[str, Any], world: World, db: Database
    ) -> None:
        url = f"/pledges/{registered['id']}/allocations"
        assert coord.post(url, {"recipient": "TOPOST", "quantity": "4"}).status_code == 303
        before = event_count(db)
        response = coord.post(url, {"recipient": "FJPOST", "quantity": "7"})
        assert response.status_code == 422, response.text
        message = field_error(response.text, "quantity")
        assert message == (
            f"pledge {registered['id']} has 10 units, 4 allocated; only 6 remain, not 7"
        )
        assert value_of(response.text, "quantity") == "7"
        assert selected(response.text, "recipient") == "FJPOST"
        assert event_count(db) == before
        assert [a["recipient"] for a in allocations(world, registered["id"])] == ["TOPOST"]

    def test_no_recipient_chosen_is_422(
        self, coord: WebClient, registered: dict[str, Any], world: World
    ) -> None:
        response = coord.post(
            f"/pledges/{registered['id']}/allocations", {"recipient": "", "quantity": "2"}
        )
        assert response.status_code == 422
        assert "recipient" in response.text and "field-error" in response.text
        assert allocations(world, registered["id"]) == []

    def test_a_good_page_shows_no_errors(self, coord: WebClient, registered: Any) -> None:
        no_field_errors(coord.get(f"/pledges/{registered['id']}").text)
