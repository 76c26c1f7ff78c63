"""POST /api/v1/scans: receiving and deploying items by tag, safe to repeat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from donations.db import Database
from donations.models import Event, Item
from tests.events.helpers import all_events, event_count, kinds
from tests.factories import World
from tests.shipments.helpers import (
    close,
    deploy,
    get_shipment,
    ready_pledge,
    receive,
    scan,
    sent,
    shipment_items,
)

SITE = "Nuku'alofa Post Office"


@pytest.fixture
def shipped(world: World) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A dispatched shipment of 3 Korea Post items to Tonga Post."""
    p = ready_pledge(world, allocations={"TOPOST": 5, "FJPOST": 5})
    return sent(world, p["id"], count=3)


def refused(
    world: World, db: Database, tag: str, status: int, *, who: str = "tonga", **body: Any
) -> str:
    """Post a scan that must be refused with `status`, check that nothing was written and
    that the item did not change; returns the detail."""
    before_events = event_count(db)
    before_item = _item_by_tag(world, tag)
    response = scan(world, tag, who=who, **body)
    assert response.status_code == status, response.text
    assert event_count(db) == before_events
    assert _item_by_tag(world, tag) == before_item
    detail: str = response.json()["detail"]
    return detail


def _item_by_tag(world: World, tag: str) -> dict[str, Any] | None:
    response = world.get("coord", f"/api/v1/tags/{tag}")
    if response.status_code != 200:
        return None
    found: dict[str, Any] = response.json()
    return found


def item_events(world: World, item_id: int, kind: str | None = None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"item_id": item_id}
    if kind:
        params["kind"] = kind
    return all_events(world, "coord", **params)


class TestReceive:
    """action=receive."""

    def test_in_transit_item_is_received_good(self, world: World, shipped: Any) -> None:
        _, packed = shipped
        result = receive(world, packed[0]["tag"])
        assert result["state"] == "received" and result["condition"] == "good"
        assert result["replayed"] is False
        assert result["id"] == packed[0]["id"] and result["recipient"] == "TOPOST"
        assert result["received_at"] is not None and result["deployed_at"] is None
        events = item_events(world, packed[0]["id"], "item.received")
        assert len(events) == 1
        event = events[0]
        assert event["actor"] == "tonga" and event["organisation"] == "TOPOST"
        assert event["source"] == "scan" and event["shipment_id"] == packed[0]["shipment_id"]
        assert event["data"] == {"condition": "good", "from": "in_transit"}

    def test_receive_damaged_with_a_note(self, world: World, shipped: Any) -> None:
        _, packed = shipped
        result = receive(world, packed[0]["tag"], condition="damaged", note="  screen cracked ")
        assert result["state"] == "received" and result["condition"] == "damaged"
        event = item_events(world, packed[0]["id"], "item.received")[0]
        assert event["data"]["condition"] == "damaged"
        assert event["data"]["note"] == "screen cracked"

    def test_coordinator_receives(self, world: World, shipped: Any) -> None:
        _, packed = shipped
        assert receive(world, packed[0]["tag"], who="coord")["state"] == "received"

    def test_repeat_with_same_condition_is_replayed(
        self, world: World, db: Database, shipped: Any
    ) -> None:
        _, packed = shipped
        first = receive(world, packed[0]["tag"], condition="damaged")
        before = event_count(db)
        again = receive(world, packed[0]["tag"], condition="damaged")
        assert again["replayed"] is True
        assert again | {"replayed": False} == first
        assert event_count(db) == before

    def test_repeat_default_condition_is_replayed(
        self, world: World, db: Database, shipped: Any
    ) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"], condition="good")
        before = event_count(db)
        assert receive(world, packed[0]["tag"])["replayed"] is True
        assert event_count(db) == before

    def test_receive_again_with_another_condition_is_409(
        self, world: World, db: Database, shipped: Any
    ) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"])
        detail = refused(world, db, packed[0]["tag"], 409, condition="damaged")
        assert "cannot receive an item that is received" in detail
        assert "allowed from received: deploy" in detail

    def test_packed_item_is_hidden_from_recipient(self, world: World, db: Database) -> None:
        p = ready_pledge(world)
        _, packed = sent(world, p["id"], count=1, dispatched=False)
        detail = refused(world, db, packed[0]["tag"], 404)
        assert "no item with tag" in detail

    def test_coordinator_receiving_a_packed_item_is_409(self, world: World, db: Database) -> None:
        p = ready_pledge(world)
        _, packed = sent(world, p["id"], count=1, dispatched=False)
        detail = refused(world, db, packed[0]["tag"], 409, who="coord")
        assert "cannot receive an item that is packed" in detail
        assert "allowed from packed: unpack, dispatch" in detail

    def test_deployed_item_cannot_be_received(
        self, world: World, db: Database, shipped: Any
    ) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"])
        deploy(world, packed[0]["tag"])
        detail = refused(world, db, packed[0]["tag"], 409)
        assert "cannot receive an item that is deployed" in detail
        assert "none (final state)" in detail

    def test_all_items_received_completes_the_shipment(self, world: World, shipped: Any) -> None:
        s, packed = shipped
        for item in packed[:-1]:
            receive(world, item["tag"])
        assert get_shipment(world, s["id"])["status"] == "dispatched"
        assert "shipment.received" not in kinds(all_events(world, "coord"))
        receive(world, packed[-1]["tag"], condition="damaged")
        done = get_shipment(world, s["id"])
        assert done["status"] == "received" and done["received_count"] == 3
        assert done["received_at"] is not None
        events = all_events(world, "coord", kind="shipment.received")
        assert len(events) == 1
        assert events[0]["shipment_id"] == s["id"] and events[0]["data"] == {"items": 3}
        assert events[0]["actor"] == "tonga" and events[0]["source"] == "scan"

    def test_deployed_items_count_as_received_for_completion(
        self, world: World, shipped: Any
    ) -> None:
        s, packed = shipped
        receive(world, packed[0]["tag"])
        deploy(world, packed[0]["tag"])
        for item in packed[1:]:
            receive(world, item["tag"])
        assert get_shipment(world, s["id"])["status"] == "received"

    def test_missing_item_found_in_a_closed_shipment(self, world: World, shipped: Any) -> None:
        s, packed = shipped
        world.ok(close(world, s["id"]))
        result = receive(world, packed[2]["tag"])
        assert result["state"] == "received" and result["replayed"] is False
        assert get_shipment(world, s["id"])["status"] == "closed"
        assert kinds(all_events(world, "coord", kind="shipment.received")) == []

    def test_unknown_condition_is_422(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        detail = refused(world, db, packed[0]["tag"], 422, condition="broken")
        assert detail.startswith("condition:")


class TestClientEventId:
    """The device's idempotency key."""

    def test_same_key_is_replayed_even_with_another_body(
        self, world: World, db: Database, shipped: Any
    ) -> None:
        _, packed = shipped
        tag = packed[0]["tag"]
        first = receive(world, tag, client_event_id="phone-1:0001")
        assert first["replayed"] is False
        before = event_count(db)
        again = receive(world, tag, client_event_id="phone-1:0001", condition="damaged")
        assert again["replayed"] is True and again["condition"] == "good"
        redeploy = receive(world, tag, client_event_id="phone-1:0001", action="deploy", site=SITE)
        assert redeploy["replayed"] is True and redeploy["state"] == "received"
        assert event_count(db) == before
        events = item_events(world, packed[0]["id"])
        assert kinds(events).count("item.received") == 1

    def test_key_is_shared_by_the_organisation(
        self, world: World, db: Database, shipped: Any
    ) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"], client_event_id="phone-1:0002")
        before = event_count(db)
        again = receive(world, packed[0]["tag"], client_event_id="phone-1:0002", who="tonga")
        assert again["replayed"] is True and event_count(db) == before

    def test_key_reused_for_another_item_is_409(
        self, world: World, db: Database, shipped: Any
    ) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"], client_event_id="phone-1:0003")
        detail = refused(world, db, packed[1]["tag"], 409, client_event_id="phone-1:0003")
        assert detail.startswith("client_event_id:")
        assert "already used for another item" in detail

    def test_key_of_another_organisation_is_independent(self, world: World) -> None:
        p = ready_pledge(world, allocations={"TOPOST": 2, "FJPOST": 2})
        _, to_tonga = sent(world, p["id"], count=1)
        _, to_fiji = sent(world, p["id"], recipient="FJPOST", count=1)
        receive(world, to_tonga[0]["tag"], client_event_id="device:1")
        fiji = receive(world, to_fiji[0]["tag"], who="fiji", client_event_id="device:1")
        assert fiji["replayed"] is False and fiji["state"] == "received"

    def test_key_is_stored_on_the_event(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"], client_event_id="phone-1:0004")
        with db.session(write=False) as session:
            keys = list(
                session.scalars(select(Event.client_key).where(Event.client_key.is_not(None)))
            )
        assert len(keys) == 1 and keys[0].endswith(":phone-1:0004")

    def test_empty_key_is_422(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        detail = refused(world, db, packed[0]["tag"], 422, client_event_id="")
        assert detail.startswith("client_event_id:")


class TestDeploy:
    """action=deploy."""

    def test_received_item_is_deployed_with_coordinates(self, world: World, shipped: Any) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"])
        result = deploy(world, packed[0]["tag"], site=f"  {SITE} ", lat=-21.1393, lon=-175.2049)
        assert result["state"] == "deployed" and result["replayed"] is False
        assert result["site"] == SITE
        assert result["lat"] == pytest.approx(-21.1393)
        assert result["lon"] == pytest.approx(-175.2049)
        assert result["deployed_at"] is not None and result["condition"] == "good"
        event = item_events(world, packed[0]["id"], "item.deployed")[0]
        assert event["data"]["site"] == SITE
        assert event["data"]["lat"] == pytest.approx(-21.1393)

    def test_deploy_without_coordinates(self, world: World, shipped: Any) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"])
        result = deploy(world, packed[0]["tag"])
        assert result["state"] == "deployed" and result["lat"] is None and result["lon"] is None

    def test_damaged_item_may_be_deployed(self, world: World, shipped: Any) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"], condition="damaged")
        result = deploy(world, packed[0]["tag"])
        assert result["state"] == "deployed" and result["condition"] == "damaged"

    def test_site_is_required(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"])
        detail = refused(world, db, packed[0]["tag"], 422, action="deploy")
        assert detail.startswith("site:") and "required" in detail
        blank = refused(world, db, packed[0]["tag"], 422, action="deploy", site="   ")
        assert blank.startswith("site:")

    def test_lat_without_lon_is_422(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"])
        detail = refused(world, db, packed[0]["tag"], 422, action="deploy", site=SITE, lat=-21.1)
        assert "lat, lon" in detail and "both" in detail

    def test_latitude_out_of_range_is_422(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"])
        detail = refused(
            world, db, packed[0]["tag"], 422, action="deploy", site=SITE, lat=91, lon=0
        )
        assert detail.startswith("lat:")

    def test_condition_with_deploy_is_422(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"])
        detail = refused(
            world, db, packed[0]["tag"], 422, action="deploy", site=SITE, condition="good"
        )
        assert detail.startswith("condition:")

    def test_in_transit_item_is_409(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        detail = refused(world, db, packed[0]["tag"], 409, action="deploy", site=SITE)
        assert "cannot deploy an item that is in_transit" in detail
        assert "allowed from in_transit: receive, close" in detail

    def test_missing_item_is_409(self, world: World, db: Database, shipped: Any) -> None:
        s, packed = shipped
        world.ok(close(world, s["id"]))
        detail = refused(world, db, packed[0]["tag"], 409, action="deploy", site=SITE)
        assert "cannot deploy an item that is missing" in detail
        assert "allowed from missing: receive" in detail

    def test_repeat_at_same_site_is_replayed(
        self, world: World, db: Database, shipped: Any
    ) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"])
        first = deploy(world, packed[0]["tag"], lat=-21.1, lon=-175.2)
        before = event_count(db)
        again = deploy(world, packed[0]["tag"], lat=-21.1, lon=-175.2)
        assert again["replayed"] is True and again | {"replayed": False} == first
        assert event_count(db) == before

    def test_deploy_at_another_site_is_409(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"])
        deploy(world, packed[0]["tag"])
        detail = refused(world, db, packed[0]["tag"], 409, action="deploy", site="Vava'u PO")
        assert "cannot deploy an item that is deployed" in detail


class TestScanAccess:
    """Who may scan which tag."""

    def test_another_organisations_item_is_404(
        self, world: World, db: Database, shipped: Any
    ) -> None:
        _, packed = shipped
        detail = refused(world, db, packed[0]["tag"], 404, who="fiji")
        assert detail == f"no item with tag {packed[0]['tag']}"

    def test_not_found_does_not_reveal_existence(self, world: World, shipped: Any) -> None:
        _, packed = shipped
        real = scan(world, packed[0]["tag"], who="fiji")
        unknown = scan(world, "0000-0000-0000", who="fiji")
        assert real.status_code == unknown.status_code == 404
        assert real.json()["detail"].replace(packed[0]["tag"], "X") == unknown.json()[
            "detail"
        ].replace("000000000000", "X")

    def test_donor_is_403(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        detail = refused(world, db, packed[0]["tag"], 403, who="korea")
        assert "recipient, coordinator" in detail and "donor" in detail

    def test_anonymous_is_401(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        before = event_count(db)
        response = world.post(
            None, "/api/v1/scans", json={"tag": packed[0]["tag"], "action": "receive"}
        )
        assert response.status_code == 401
        assert event_count(db) == before

    def test_the_caller_is_checked_before_the_body(self, world: World, db: Database) -> None:
        """As on every endpoint: a bad token is a 401 and a donor a 403, whatever the body."""
        bad = {"tag": "7KQ2", "action": "lose"}
        before = event_count(db)
        invalid = world.client.post(
            "/api/v1/scans", json=bad, headers={"Authorization": "Bearer not-a-token"}
        )
        assert invalid.status_code == 401, invalid.text
        assert invalid.json()["detail"] == "invalid, expired or revoked token"
        donor = world.post("korea", "/api/v1/scans", json=bad)
        assert donor.status_code == 403, donor.text
        assert event_count(db) == before

    def test_a_body_that_does_not_validate_is_named_as_fastapi_names_it(self, world: World) -> None:
        missing = world.post("tonga", "/api/v1/scans", content=b"")
        assert missing.status_code == 422, missing.text
        assert missing.json()["detail"] == "Field required"
        assert missing.json()["errors"][0]["loc"] == ["body"]
        wrong = world.post("tonga", "/api/v1/scans", json={"tag": "7KQ29XHM3PDA"})
        assert wrong.status_code == 422, wrong.text
        assert wrong.json()["detail"] == "action: Field required"
        assert wrong.json()["errors"][0]["loc"] == ["body", "action"]
        garbled = world.post("tonga", "/api/v1/scans", content=b"{not json")
        assert garbled.status_code == 422, garbled.text
        assert garbled.json()["errors"][0]["type"] == "json_invalid"

    def test_unknown_tag_is_404(self, world: World, shipped: Any) -> None:
        response = scan(world, "ZZZZ-ZZZZ-ZZZZ")
        assert response.status_code == 404, response.text
        assert "ZZZZZZZZZZZZ" in response.json()["detail"]

    def test_malformed_tag_is_422(self, world: World, db: Database, shipped: Any) -> None:
        before = event_count(db)
        short = scan(world, "7KQ2-9XHM")
        assert short.status_code == 422, short.text
        assert (
            short.json()["detail"].startswith("tag:")
            and "got 8 characters" in short.json()["detail"]
        )
        bad_char = scan(world, "7KQ2-9XHM-3PDU")
        assert bad_char.status_code == 422, bad_char.text
        assert "'U' is not allowed" in bad_char.json()["detail"]
        assert event_count(db) == before

    def test_unknown_action_is_422(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        detail = refused(world, db, packed[0]["tag"], 422, action="lose")
        assert detail.startswith("action:")

    def test_forgiving_tag_input(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        canonical = "7KQ29XHM3PD0"
        _set_tag(db, packed[0]["id"], canonical)
        typed = " 7kq2-9xhm 3pdo "
        result = receive(world, typed)
        assert result["id"] == packed[0]["id"] and result["tag"] == canonical
        assert result["state"] == "received"

    def test_forgiving_tag_reads_i_and_l_as_one(
        self, world: World, db: Database, shipped: Any
    ) -> None:
        _, packed = shipped
        _set_tag(db, packed[1]["id"], "1AB21CD31EF4")
        result = receive(world, "iab2-lcd3-Ief4")
        assert result["id"] == packed[1]["id"]


def _set_tag(db: Database, item_id: int, tag: str) -> None:
    """Give an item a known tag (tags are random), straight in the database."""
    with db.session() as session:
        session.execute(update(Item).where(Item.id == item_id).values(tag=tag))
        session.commit()


class TestScannedAt:
    """Offline scans carry the time they happened."""

    def test_old_scan_is_recorded_as_offline(self, world: World, shipped: Any) -> None:
        _, packed = shipped
        at = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
        result = receive(world, packed[0]["tag"], scanned_at=at.isoformat())
        assert datetime.fromisoformat(result["received_at"]) == at
        event = item_events(world, packed[0]["id"], "item.received")[0]
        assert event["source"] == "offline"
        assert datetime.fromisoformat(event["data"]["scanned_at"]) == at

    def test_offline_scan_completing_a_shipment(self, world: World, shipped: Any) -> None:
        s, packed = shipped
        at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        for item in packed:
            receive(world, item["tag"], scanned_at=at)
        assert get_shipment(world, s["id"])["status"] == "received"
        events = all_events(world, "coord", shipment_id=s["id"], kind="shipment.received")
        assert [e["source"] for e in events] == ["offline"]

    def test_recent_scan_is_a_plain_scan(self, world: World, shipped: Any) -> None:
        _, packed = shipped
        at = datetime.now(UTC) - timedelta(minutes=2)
        receive(world, packed[0]["tag"], scanned_at=at.isoformat())
        event = item_events(world, packed[0]["id"], "item.received")[0]
        assert event["source"] == "scan"

    def test_offline_deploy(self, world: World, shipped: Any) -> None:
        _, packed = shipped
        receive(world, packed[0]["tag"])
        at = (datetime.now(UTC) - timedelta(minutes=30)).replace(microsecond=0)
        result = deploy(world, packed[0]["tag"], scanned_at=at.isoformat())
        assert datetime.fromisoformat(result["deployed_at"]) == at
        assert item_events(world, packed[0]["id"], "item.deployed")[0]["source"] == "offline"

    def test_future_scan_is_422(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        detail = refused(world, db, packed[0]["tag"], 422, scanned_at=future)
        assert detail == "scanned_at: must not be in the future"

    def test_time_without_offset_is_422(self, world: World, db: Database, shipped: Any) -> None:
        _, packed = shipped
        detail = refused(world, db, packed[0]["tag"], 422, scanned_at="2026-01-01T10:00:00")
        assert detail.startswith("scanned_at:") and "offset" in detail


class TestRefusedScansWriteNothing:
    """Every refusal leaves the items, the shipment and the events as they were."""

    def test_a_run_of_refusals(self, world: World, db: Database, shipped: Any) -> None:
        s, packed = shipped
        receive(world, packed[0]["tag"])
        before_events = event_count(db)
        before_items = shipment_items(world, s["id"])
        before_shipment = get_shipment(world, s["id"])
        attempts: list[tuple[str, dict[str, Any], int]] = [
            ("tonga", {"tag": packed[0]["tag"], "condition": "damaged"}, 409),
            ("tonga", {"tag": packed[1]["tag"], "action": "deploy", "site": SITE}, 409),
            ("fiji", {"tag": packed[1]["tag"]}, 404),
            ("korea", {"tag": packed[1]["tag"]}, 403),
            ("tonga", {"tag": "not a tag"}, 422),
            ("tonga", {"tag": packed[1]["tag"], "scanned_at": "2999-01-01T00:00:00Z"}, 422),
            ("tonga", {"tag": packed[0]["tag"], "action": "deploy"}, 422),
            ("tonga", {"tag": packed[0]["tag"], "action": "deploy", "site": SITE, "lon": 1}, 422),
        ]
        for who, body, status in attempts:
            response = scan(world, who=who, **({"action": "receive"} | body))
            assert response.status_code == status, (body, response.text)
        assert event_count(db) == before_events
        assert shipment_items(world, s["id"]) == before_items
        assert get_shipment(world, s["id"]) == before_shipment
