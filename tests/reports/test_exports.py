"""GET /api/v1/exports/items.csv and events.csv."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from donations.events.schemas import EventRead
from donations.pledges.schemas import ItemRead
from tests.events.helpers import all_events
from tests.factories import World
from tests.shipments.helpers import deploy, pledge_items, ready_pledge, receive, sent

ITEMS = "/api/v1/exports/items.csv"
EVENTS = "/api/v1/exports/events.csv"


@pytest.fixture
def exported(world: World) -> dict[str, Any]:
    """Korea Post: 4 items, 2 sent to Tonga (one received damaged with a note and deployed
    at a site with a comma). Japan Post: 2 items, not shipped."""
    korea = ready_pledge(world, quantity=4, allocations={"TOPOST": 4})
    _, packed = sent(world, korea["id"], count=2)
    receive(world, packed[0]["tag"], condition="damaged", note='box "crushed", screen ok')
    deploy(world, packed[0]["tag"], site="Nuku'alofa, main office", lat=-21.1, lon=-175.2)
    japan = ready_pledge(world, who="japan", quantity=2, allocations={}, prefix="JP")
    return {"korea": korea, "japan": japan}


def read_csv(world: World, who: str | None, url: str) -> tuple[list[str], list[dict[str, str]]]:
    response = world.get(who, url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    reader = csv.reader(io.StringIO(response.text))
    header = next(reader)
    rows = [dict(zip(header, row, strict=True)) for row in reader]
    return header, rows


def as_cells(record: dict[str, Any]) -> dict[str, str]:
    """A JSON record as the export writes it: null empty, objects as JSON."""
    cells = {}
    for key, value in record.items():
        if value is None:
            cells[key] = ""
        elif isinstance(value, dict):
            cells[key] = json.dumps(value, ensure_ascii=False, sort_keys=True)
        else:
            cells[key] = str(value)
    return cells


class TestItemsExport:
    """items.csv: one row per item, with the Item shape's fields."""

    def test_coordinator_gets_every_item(self, world: World, exported: dict[str, Any]) -> None:
        header, rows = read_csv(world, "coord", ITEMS)
        assert header == list(ItemRead.model_fields)
        assert header[:5] == ["id", "tag", "serial", "model", "state"]
        expected = pledge_items(world, exported["korea"]["id"]) + pledge_items(
            world, exported["japan"]["id"]
        )
        assert [int(r["id"]) for r in rows] == sorted(i["id"] for i in expected)
        states = sorted(r["state"] for r in rows)
        assert states == ["deployed", "in_transit"] + ["pledged"] * 4

    def test_cells_match_the_item_shape(self, world: World, exported: dict[str, Any]) -> None:
        _, rows = read_csv(world, "coord", ITEMS)
        by_id = {int(r["id"]): r for r in rows}
        for item in pledge_items(world, exported["korea"]["id"]):
            row, expected = dict(by_id[item["id"]]), as_cells(item)
            for time_field in ("received_at", "deployed_at"):  # the same instant, any spelling
                assert bool(row.pop(time_field)) == bool(expected.pop(time_field))
            assert row == expected
        deployed = next(r for r in rows if r["state"] == "deployed")
        assert deployed["site"] == "Nuku'alofa, main office"
        assert deployed["condition"] == "damaged" and deployed["recipient"] == "TOPOST"
        assert float(deployed["lat"]) == pytest.approx(-21.1)

    def test_donor_gets_only_its_own(self, world: World, exported: dict[str, Any]) -> None:
        _, rows = read_csv(world, "japan", ITEMS)
        expected = pledge_items(world, exported["japan"]["id"])
        assert [int(r["id"]) for r in rows] == [i["id"] for i in expected]
        assert {r["pledge_id"] for r in rows} == {str(exported["japan"]["id"])}

    def test_empty_export_has_the_header(self, world: World) -> None:
        header, rows = read_csv(world, "korea", ITEMS)
        assert header == list(ItemRead.model_fields) and rows == []

    def test_recipient_is_403(self, world: World, exported: dict[str, Any]) -> None:
        response = world.get("tonga", ITEMS)
        assert response.status_code == 403, response.text
        assert "donor, coordinator" in response.json()["detail"]

    def test_anonymous_is_401(self, world: World) -> None:
        assert world.get(None, ITEMS).status_code == 401


class TestEventsExport:
    """events.csv: one row per event, oldest first, with the Event shape's fields."""

    def test_coordinator_gets_every_event(self, world: World, exported: dict[str, Any]) -> None:
        header, rows = read_csv(world, "coord", EVENTS)
        assert header == list(EventRead.model_fields)
        events = all_events(world, "coord")
        assert [int(r["id"]) for r in rows] == sorted(e["id"] for e in events)

    def test_cells_match_the_event_shape(self, world: World, exported: dict[str, Any]) -> None:
        _, rows = read_csv(world, "coord", EVENTS)
        by_id = {int(r["id"]): r for r in rows}
        for event in all_events(world, "coord"):
            row, expected = dict(by_id[event["id"]]), as_cells(event)
            assert row.pop("at") and expected.pop("at")
            assert json.loads(row.pop("data")) == event["data"]
            expected.pop("data")
            assert row == expected
        received = next(r for r in rows if r["kind"] == "item.received")
        assert json.loads(received["data"])["note"] == 'box "crushed", screen ok'

    def test_donor_gets_only_its_own(self, world: World, exported: dict[str, Any]) -> None:
        _, rows = read_csv(world, "korea", EVENTS)
        mine = all_events(world, "korea")
        assert [int(r["id"]) for r in rows] == sorted(e["id"] for e in mine)
        assert {r["pledge_id"] for r in rows} == {str(exported["korea"]["id"])}

    def test_recipient_is_403(self, world: World, exported: dict[str, Any]) -> None:
        assert world.get("tonga", EVENTS).status_code == 403

    def test_anonymous_is_401(self, world: World) -> None:
        assert world.get(None, EVENTS).status_code == 401
