"""Pledges through the JSON API: GET and POST /api/v1/pledges, GET /api/v1/pledges/{id}."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import World, allocate, items, pledge

URL = "/api/v1/pledges"


def body(**extra: Any) -> dict[str, Any]:
    return {"title": "Green computers", "category": "computer", "quantity": 10} | extra


def all_pledges(world: World) -> list[dict[str, Any]]:
    return world.ok(world.get("coord", f"{URL}?limit=1000"))["data"]  # type: ignore[no-any-return]


def pledge_events(world: World) -> list[dict[str, Any]]:
    page = world.ok(world.get("coord", "/api/v1/events?kind=pledge.created&limit=1000"))
    return page["data"]  # type: ignore[no-any-return]


class TestCreatePledge:
    def test_donor_pledges_for_its_own_organisation(self, world: World) -> None:
        created = world.ok(
            world.post(
                "korea",
                URL,
                json=body(
                    quantity=200,
                    description="Refurbished desktops",
                    unit_value="450.00",
                    currency="usd",
                    programme="South-South cooperation",
                ),
            ),
            201,
        )

        assert created["donor"] == "KRPOST"
        assert created["quantity"] == 200
        assert created["item_count"] == 0 and created["allocated"] == 0
        assert created["status"] == "open"
        assert created["currency"] == "USD"
        assert created["unit_value"] == "450.00"
        assert created["programme"] == "South-South cooperation"
        assert [p["id"] for p in all_pledges(world)] == [created["id"]]
        [event] = pledge_events(world)
        assert event["pledge_id"] == created["id"] and event["actor"] == "korea"

    @pytest.mark.parametrize("donor", ["KRPOST", "krpost", " KRPOST "])
    def test_donor_may_name_its_own_organisation(self, world: World, donor: str) -> None:
        created = world.ok(world.post("korea", URL, json=body(donor=donor)), 201)

        assert created["donor"] == "KRPOST"

    def test_partner_organisation_may_pledge(self, world: World) -> None:
        created = world.ok(world.post("japan", URL, json=body()), 201)

        assert created["donor"] == "JPPOST"

    @pytest.mark.parametrize("donor", ["JPPOST", "TOPOST", "NOPOST"])
    def test_donor_naming_another_organisation_is_403(self, world: World, donor: str) -> None:
        response = world.post("korea", URL, json=body(donor=donor))

        assert response.status_code == 403
        assert response.json()["detail"] == "donor: you can only pledge for KRPOST"
        assert all_pledges(world) == []

    def test_coordinator_names_the_donor(self, world: World) -> None:
        created = world.ok(world.post("coord", URL, json=body(donor="jppost")), 201)

        assert created["donor"] == "JPPOST"
        assert pledge_events(world)[0]["actor"] == "coord"

    def test_coordinator_without_donor_is_422(self, world: World) -> None:
        response = world.post("coord", URL, json=body())

        assert response.status_code == 422
        assert response.json()["detail"] == "donor: required when a coordinator records a pledge"
        assert all_pledges(world) == []

    def test_coordinator_with_unknown_donor_is_422(self, world: World) -> None:
        response = world.post("coord", URL, json=body(donor="NOPOST"))

        assert response.status_code == 422
        assert response.json()["detail"] == "donor: unknown organisation code 'NOPOST'"
        assert all_pledges(world) == []

    def test_coordinator_naming_a_recipient_as_donor_is_422(self, world: World) -> None:
        response = world.post("coord", URL, json=body(donor="TOPOST"))

        assert response.status_code == 422
        assert response.json()["detail"] == "donor: TOPOST is a recipient organisation"
        assert all_pledges(world) == []

    @pytest.mark.parametrize("who", ["tonga", "fiji"])
    def test_recipient_is_403(self, world: World, who: str) -> None:
        response = world.post(who, URL, json=body())

        assert response.status_code == 403
        assert all_pledges(world) == []

    @pytest.mark.parametrize("quantity", [0, -1, -100, 1_000_001, 1.5, "ten", None])
    def test_bad_quantity_is_422_naming_quantity(self, world: World, quantity: Any) -> None:
        response = world.post("korea", URL, json=body(quantity=quantity))

        assert response.status_code == 422
        assert response.json()["detail"].startswith("quantity: ")
        assert all_pledges(world) == []

    def test_missing_quantity_is_422_naming_quantity(self, world: World) -> None:
        response = world.post("korea", URL, json={"title": "Computers", "category": "computer"})

        assert response.status_code == 422
        assert response.json()["detail"].startswith("quantity: ")

    def test_unit_value_without_currency_is_422(self, world: World) -> None:
        response = world.post("korea", URL, json=body(unit_value="450.00"))

        assert response.status_code == 422
        assert response.json()["detail"] == "currency: required when unit_value is given"
        assert all_pledges(world) == []

    @pytest.mark.parametrize("currency", ["DOLLAR", "US", "ABC", "€", "1234"])
    def test_bad_currency_is_422_naming_currency(self, world: World, currency: str) -> None:
        response = world.post("korea", URL, json=body(unit_value="1", currency=currency))

        assert response.status_code == 422
        detail = response.json()["detail"]
        assert detail.startswith("currency: ") and "ISO 4217" in detail
        assert all_pledges(world) == []

    @pytest.mark.parametrize("unit_value", ["-1", "1.234", "NaN", "Infinity", "a lot"])
    def test_bad_unit_value_is_422_naming_unit_value(self, world: World, unit_value: str) -> None:
        response = world.post("korea", URL, json=body(unit_value=unit_value, currency="USD"))

        assert response.status_code == 422
        assert response.json()["detail"].startswith("unit_value: ")
        assert all_pledges(world) == []

    @pytest.mark.parametrize("field", ["title", "category"])
    def test_blank_title_or_category_is_422_naming_it(self, world: World, field: str) -> None:
        response = world.post("korea", URL, json=body(**{field: "   "}))

        assert response.status_code == 422
        assert response.json()["detail"].startswith(f"{field}: ")
        assert all_pledges(world) == []


class TestListPledges:
    def test_scoped_to_the_donor_organisation(self, world: World) -> None:
        kr = [pledge(world, "korea")["id"] for _ in range(3)]
        jp = [pledge(world, "japan")["id"] for _ in range(2)]

        korea = world.ok(world.get("korea", URL))["data"]
        japan = world.ok(world.get("japan", URL))["data"]
        coord = world.ok(world.get("coord", URL))["data"]

        assert [p["id"] for p in korea] == kr and {p["donor"] for p in korea} == {"KRPOST"}
        assert [p["id"] for p in japan] == jp and {p["donor"] for p in japan} == {"JPPOST"}
        assert [p["id"] for p in coord] == sorted(kr + jp)

    @pytest.mark.parametrize("who", ["tonga", "fiji"])
    def test_recipient_is_403(self, world: World, who: str) -> None:
        pledge(world)

        response = world.get(who, URL)

        assert response.status_code == 403
        assert "donor, coordinator" in response.json()["detail"]

    def test_item_count_and_allocated(self, world: World) -> None:
        first = pledge(world, quantity=10)
        second = pledge(world, quantity=5)
        items(world, first["id"], 4)
        allocate(world, first["id"], "TOPOST", 3)
        allocate(world, first["id"], "FJPOST", 2)
        allocate(world, first["id"], "TOPOST", 1)

        listed = {p["id"]: p for p in world.ok(world.get("korea", URL))["data"]}

        assert (listed[first["id"]]["item_count"], listed[first["id"]]["allocated"]) == (4, 6)
        assert (listed[second["id"]]["item_count"], listed[second["id"]]["allocated"]) == (0, 0)

    def test_cursor_paging_until_next_is_null(self, world: World) -> None:
        ids = [pledge(world)["id"] for _ in range(5)]
        pledge(world, "japan")  # not korea's: never on korea's pages

        pages = [world.ok(world.get("korea", f"{URL}?limit=2"))]
        while pages[-1]["next"] is not None:
            pages.append(world.ok(world.get("korea", f"{URL}?limit=2&after={pages[-1]['next']}")))

        assert [len(p["data"]) for p in pages] == [2, 2, 1]
        assert [p["id"] for page in pages for p in page["data"]] == ids

    def test_exactly_one_full_page_has_no_next(self, world: World) -> None:
        for _ in range(2):
            pledge(world)

        page = world.ok(world.get("korea", f"{URL}?limit=2"))

        assert len(page["data"]) == 2 and page["next"] is None

    @pytest.mark.parametrize("limit", ["1001", "0", "-1", "many"])
    def test_bad_limit_is_422(self, world: World, limit: str) -> None:
        response = world.get("korea", f"{URL}?limit={limit}")

        assert response.status_code == 422
        assert response.json()["detail"].startswith("limit: ")

    def test_limit_1000_is_allowed(self, world: World) -> None:
        assert world.ok(world.get("korea", f"{URL}?limit=1000"))["data"] == []

    @pytest.mark.parametrize("after", ["garbage", "1.5", "0x10"])
    def test_garbage_cursor_is_422(self, world: World, after: str) -> None:
        response = world.get("korea", f"{URL}?after={after}")

        assert response.status_code == 422
        assert response.json()["detail"] == f"after: not a cursor this list gave out: {after!r}"

    @pytest.mark.parametrize("after", [2**31, 2**64])
    def test_cursor_beyond_the_id_range_is_422(self, world: World, after: int) -> None:
        client = TestClient(world.client.app, raise_server_exceptions=False)

        response = client.get(f"{URL}?after={after}", headers=world.as_("korea"))

        assert response.status_code == 422
        assert response.json()["detail"].startswith("after: ")


class TestPledgeDetail:
    def test_donor_reads_its_pledge_with_counts(self, world: World) -> None:
        p = pledge(world, quantity=10, programme="Japan Special Fund")
        items(world, p["id"], 7)
        allocate(world, p["id"], "TOPOST", 4)

        got = world.ok(world.get("korea", f"{URL}/{p['id']}"))

        assert got["id"] == p["id"] and got["donor"] == "KRPOST"
        assert got["item_count"] == 7 and got["allocated"] == 4
        assert got["programme"] == "Japan Special Fund"
        assert set(got) >= {
            "id",
            "donor",
            "title",
            "category",
            "quantity",
            "item_count",
            "allocated",
            "programme",
            "status",
        }

    def test_coordinator_reads_any_pledge(self, world: World) -> None:
        p = pledge(world, "japan")

        assert world.ok(world.get("coord", f"{URL}/{p['id']}"))["donor"] == "JPPOST"

    def test_another_donors_pledge_is_404(self, world: World) -> None:
        p = pledge(world, "korea")

        response = world.get("japan", f"{URL}/{p['id']}")

        assert response.status_code == 404
        assert response.json()["detail"] == f"pledge {p['id']} not found"

    def test_missing_pledge_is_404_like_another_donors(self, world: World) -> None:
        response = world.get("korea", f"{URL}/999999")

        assert response.status_code == 404
        assert response.json()["detail"] == "pledge 999999 not found"

    def test_recipient_is_403(self, world: World) -> None:
        p = pledge(world)
        allocate(world, p["id"], "TOPOST", 1)

        response = world.get("tonga", f"{URL}/{p['id']}")

        assert response.status_code == 403


class TestPledgeIdInPath:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/api/v1/pledges/{id}"),
            ("GET", "/api/v1/pledges/{id}/items"),
            ("POST", "/api/v1/pledges/{id}/items"),
            ("GET", "/api/v1/pledges/{id}/allocations"),
            ("POST", "/api/v1/pledges/{id}/allocations"),
        ],
    )
    def test_id_beyond_the_integer_column_is_422_naming_pledge_id(
        self, world: World, method: str, path: str
    ) -> None:
        response = world.client.request(
            method,
            path.format(id=2**31),
            headers=world.as_("coord"),
            json={"recipient": "TOPOST", "quantity": 1},
        )

        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith("pledge_id: ")

    def test_recipient_with_an_id_beyond_the_integer_column_gets_422(self, world: World) -> None:
        response = world.get("tonga", f"{URL}/{2**31}/items")

        assert response.status_code == 422
        assert response.json()["detail"].startswith("pledge_id: ")

    def test_largest_id_is_a_plain_404(self, world: World) -> None:
        response = world.get("korea", f"{URL}/{2**31 - 1}")

        assert response.status_code == 404
        assert response.json()["detail"] == f"pledge {2**31 - 1} not found"
