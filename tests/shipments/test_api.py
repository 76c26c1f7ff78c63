"""The shipments JSON API: create, pack, unpack, dispatch, close, overdue and scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from donations.db import Database
from tests.events.helpers import all_events, event_count, kinds
from tests.factories import World, allocate, pledge, shipment
from tests.shipments.helpers import (
    close,
    dispatch,
    get_shipment,
    pack,
    pledge_items,
    ready_pledge,
    receive,
    sent,
    shipment_items,
)

SHIPMENTS = "/api/v1/shipments"
VALID_S10 = "EE123456785KR"


def create_body(pledge_id: int, recipient: str = "TOPOST", **extra: object) -> dict[str, object]:
    return {"pledge_id": pledge_id, "recipient": recipient, "mode": "air"} | extra


class TestCreateShipment:
    """POST /api/v1/shipments."""

    def test_donor_creates_a_draft_for_its_own_pledge(self, world: World) -> None:
        p = ready_pledge(world)
        body = create_body(p["id"], carrier="Korean Air Cargo", expected_arrival="2099-01-31")
        created = world.ok(world.post("korea", SHIPMENTS, json=body), 201)
        assert created["status"] == "draft"
        assert created["origin"] == "KRPOST" and created["recipient"] == "TOPOST"
        assert created["pledge_id"] == p["id"]
        assert created["mode"] == "air" and created["carrier"] == "Korean Air Cargo"
        assert created["expected_arrival"] == "2099-01-31"
        assert created["item_count"] == 0 and created["overdue"] is False
        assert created["dispatched_at"] is None
        assert len(created["tag"]) == 12
        assert get_shipment(world, created["id"]) == created
        events = all_events(world, "coord", shipment_id=created["id"])
        assert kinds(events) == ["shipment.created"]
        assert events[0]["actor"] == "korea" and events[0]["organisation"] == "KRPOST"

    def test_coordinator_creates_a_shipment_from_the_pledge_donor(self, world: World) -> None:
        p = ready_pledge(world)
        created = world.ok(world.post("coord", SHIPMENTS, json=create_body(p["id"])), 201)
        assert created["origin"] == "KRPOST" and created["status"] == "draft"

    def test_donor_cannot_ship_another_donors_pledge(self, world: World, db: Database) -> None:
        p = ready_pledge(world)
        before = event_count(db)
        response = world.post("japan", SHIPMENTS, json=create_body(p["id"]))
        assert response.status_code == 404, response.text
        assert f"pledge {p['id']}" in response.json()["detail"]
        assert event_count(db) == before

    def test_recipient_cannot_create(self, world: World) -> None:
        p = ready_pledge(world)
        response = world.post("tonga", SHIPMENTS, json=create_body(p["id"]))
        assert response.status_code == 403, response.text
        assert "recipient" in response.json()["detail"]

    def test_anonymous_is_401(self, world: World) -> None:
        p = ready_pledge(world)
        assert world.post(None, SHIPMENTS, json=create_body(p["id"])).status_code == 401

    def test_recipient_without_allocation_is_409(self, world: World, db: Database) -> None:
        p = ready_pledge(world, allocations={"TOPOST": 10})
        before = event_count(db)
        response = world.post("korea", SHIPMENTS, json=create_body(p["id"], "FJPOST"))
        assert response.status_code == 409, response.text
        detail = response.json()["detail"]
        assert detail.startswith("recipient:") and "FJPOST" in detail
        assert "no allocation left" in detail and "0 allocated" in detail
        assert event_count(db) == before

    def test_recipient_with_allocation_used_up_is_409(self, world: World) -> None:
        p = ready_pledge(world, allocations={"TOPOST": 2})
        sent(world, p["id"], count=2, dispatched=False)
        response = world.post("korea", SHIPMENTS, json=create_body(p["id"]))
        assert response.status_code == 409, response.text
        assert "TOPOST has no allocation left" in response.json()["detail"]
        assert "2 allocated" in response.json()["detail"]

    def test_unknown_recipient_is_422(self, world: World) -> None:
        p = ready_pledge(world)
        response = world.post("korea", SHIPMENTS, json=create_body(p["id"], "NOPOST"))
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail.startswith("recipient:") and "unknown organisation code" in detail
        assert "NOPOST" in detail

    def test_donor_organisation_as_recipient_is_422(self, world: World) -> None:
        p = ready_pledge(world)
        response = world.post("korea", SHIPMENTS, json=create_body(p["id"], "KRPOST"))
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail.startswith("recipient:") and "KRPOST is a donor organisation" in detail

    def test_partner_organisation_as_recipient_is_422(self, world: World) -> None:
        p = ready_pledge(world)
        response = world.post("korea", SHIPMENTS, json=create_body(p["id"], "JPPOST"))
        assert response.status_code == 422, response.text
        assert "not a recipient" in response.json()["detail"]

    def test_unknown_mode_is_422(self, world: World) -> None:
        p = ready_pledge(world)
        response = world.post("korea", SHIPMENTS, json=create_body(p["id"], mode="rocket"))
        assert response.status_code == 422, response.text
        assert "mode" in response.json()["detail"]

    def test_post_with_bad_check_digit_is_422(self, world: World, db: Database) -> None:
        p = ready_pledge(world)
        before = event_count(db)
        body = create_body(p["id"], mode="post", tracking_number="EE123456784KR")
        response = world.post("korea", SHIPMENTS, json=body)
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail.startswith("tracking_number:")
        assert "check digit" in detail and "expected 5" in detail
        assert event_count(db) == before

    def test_post_with_bad_format_is_422(self, world: World) -> None:
        p = ready_pledge(world)
        body = create_body(p["id"], mode="post", tracking_number="EE12345KR")
        response = world.post("korea", SHIPMENTS, json=body)
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail.startswith("tracking_number:") and "bad format" in detail

    def test_post_with_reserved_service_indicator_is_422(self, world: World) -> None:
        p = ready_pledge(world)
        body = create_body(p["id"], mode="post", tracking_number="JA123456785KR")
        response = world.post("korea", SHIPMENTS, json=body)
        assert response.status_code == 422, response.text
        assert "reserved" in response.json()["detail"]

    def test_post_with_valid_s10_is_normalised(self, world: World) -> None:
        p = ready_pledge(world)
        body = create_body(p["id"], mode="post", tracking_number="  ee 1234 5678 5 kr ")
        created = world.ok(world.post("korea", SHIPMENTS, json=body), 201)
        assert created["tracking_number"] == VALID_S10
        assert created["mode"] == "post"

    def test_non_post_mode_keeps_any_tracking_number(self, world: World) -> None:
        p = ready_pledge(world)
        body = create_body(p["id"], mode="courier", tracking_number=" 1Z999AA10123456784 ")
        created = world.ok(world.post("korea", SHIPMENTS, json=body), 201)
        assert created["tracking_number"] == "1Z999AA10123456784"

    def test_allocate_after_shipment_lets_a_new_shipment_start(self, world: World) -> None:
        p = pledge(world, quantity=4)
        world.ok(world.post("korea", f"/api/v1/pledges/{p['id']}/items", json={"generate": 4}), 201)
        assert world.post("korea", SHIPMENTS, json=create_body(p["id"])).status_code == 409
        allocate(world, p["id"], "TOPOST", 2)
        world.ok(world.post("korea", SHIPMENTS, json=create_body(p["id"])), 201)


class TestPackShipment:
    """POST /api/v1/shipments/{id}/items."""

    def test_pack_by_count(self, world: World) -> None:
        p = ready_pledge(world)
        s = shipment(world, p["id"], "TOPOST")
        result = world.ok(pack(world, s["id"], count=3))
        assert result["packed"] == 3 and len(result["item_ids"]) == 3
        assert result["shipment"]["item_count"] == 3
        packed = shipment_items(world, s["id"])
        assert [i["id"] for i in packed] == sorted(result["item_ids"])
        assert {i["state"] for i in packed} == {"packed"}
        assert {i["recipient"] for i in packed} == {"TOPOST"}
        assert {i["shipment_id"] for i in packed} == {s["id"]}
        events = all_events(world, "coord", kind="item.packed")
        assert sorted(e["item_id"] for e in events) == sorted(result["item_ids"])
        assert {e["shipment_id"] for e in events} == {s["id"]}

    def test_pack_by_ids(self, world: World) -> None:
        p = ready_pledge(world)
        chosen = [i["id"] for i in pledge_items(world, p["id"])[4:6]]
        s = shipment(world, p["id"], "TOPOST")
        result = world.ok(pack(world, s["id"], item_ids=chosen))
        assert result["packed"] == 2 and result["item_ids"] == chosen
        assert [i["id"] for i in shipment_items(world, s["id"])] == chosen

    def test_coordinator_packs(self, world: World) -> None:
        p = ready_pledge(world)
        s = shipment(world, p["id"], "TOPOST")
        assert world.ok(pack(world, s["id"], who="coord", count=2))["packed"] == 2

    def test_another_donor_gets_404(self, world: World) -> None:
        p = ready_pledge(world)
        s = shipment(world, p["id"], "TOPOST")
        response = pack(world, s["id"], who="japan", count=1)
        assert response.status_code == 404, response.text
        assert f"shipment {s['id']}" in response.json()["detail"]

    def test_recipient_is_403(self, world: World) -> None:
        p = ready_pledge(world)
        s = shipment(world, p["id"], "TOPOST")
        response = pack(world, s["id"], who="tonga", count=1)
        assert response.status_code == 403, response.text

    def test_count_above_remaining_allocation_is_409(self, world: World, db: Database) -> None:
        p = ready_pledge(world, allocations={"TOPOST": 3, "FJPOST": 5})
        s = shipment(world, p["id"], "TOPOST")
        before = event_count(db)
        response = pack(world, s["id"], count=4)
        assert response.status_code == 409, response.text
        detail = response.json()["detail"]
        assert "TOPOST has 3 units allocated" in detail
        assert "0 already packed or sent" in detail and "3 remain, not 4" in detail
        assert event_count(db) == before
        assert {i["state"] for i in pledge_items(world, p["id"])} == {"pledged"}
        assert get_shipment(world, s["id"])["item_count"] == 0

    def test_ids_above_remaining_allocation_is_409(self, world: World, db: Database) -> None:
        p = ready_pledge(world, allocations={"TOPOST": 3})
        s = shipment(world, p["id"], "TOPOST")
        world.ok(pack(world, s["id"], count=2))
        free = [i["id"] for i in pledge_items(world, p["id"]) if i["state"] == "pledged"][:2]
        before = event_count(db)
        response = pack(world, s["id"], item_ids=free)
        assert response.status_code == 409, response.text
        detail = response.json()["detail"]
        assert "3 units allocated" in detail and "2 already packed or sent" in detail
        assert "1 remain, not 2" in detail
        assert event_count(db) == before
        assert get_shipment(world, s["id"])["item_count"] == 2

    def test_allocation_counts_other_shipments_to_the_same_recipient(self, world: World) -> None:
        p = ready_pledge(world, allocations={"TOPOST": 4})
        sent(world, p["id"], count=3)
        s = shipment(world, p["id"], "TOPOST")
        response = pack(world, s["id"], count=2)
        assert response.status_code == 409, response.text
        assert "3 already packed or sent: 1 remain, not 2" in response.json()["detail"]
        assert world.ok(pack(world, s["id"], count=1))["packed"] == 1

    def test_item_of_another_pledge_is_422(self, world: World, db: Database) -> None:
        p = ready_pledge(world)
        other = ready_pledge(world, prefix="OT")
        mine = pledge_items(world, p["id"])[0]["id"]
        foreign = pledge_items(world, other["id"])[0]["id"]
        s = shipment(world, p["id"], "TOPOST")
        before = event_count(db)
        response = pack(world, s["id"], item_ids=[mine, foreign])
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail.startswith("item_ids[1]:")
        assert f"item {foreign} is not an item of pledge {p['id']}" in detail
        assert event_count(db) == before
        assert pledge_items(world, p["id"])[0]["state"] == "pledged"

    def test_unknown_item_is_422(self, world: World) -> None:
        p = ready_pledge(world)
        s = shipment(world, p["id"], "TOPOST")
        response = pack(world, s["id"], item_ids=[999_999])
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith("item_ids[0]: item 999999")

    def test_item_listed_twice_is_422(self, world: World) -> None:
        p = ready_pledge(world)
        first = pledge_items(world, p["id"])[0]["id"]
        s = shipment(world, p["id"], "TOPOST")
        response = pack(world, s["id"], item_ids=[first, first])
        assert response.status_code == 422, response.text
        assert "item_ids" in response.json()["detail"] and "twice" in response.json()["detail"]

    def test_already_packed_item_is_409(self, world: World, db: Database) -> None:
        p = ready_pledge(world, allocations={"TOPOST": 5, "FJPOST": 5})
        first = shipment(world, p["id"], "TOPOST")
        packed_id = world.ok(pack(world, first["id"], count=1))["item_ids"][0]
        second = shipment(world, p["id"], "FJPOST")
        free = next(i["id"] for i in pledge_items(world, p["id"]) if i["state"] == "pledged")
        before = event_count(db)
        response = pack(world, second["id"], item_ids=[free, packed_id])
        assert response.status_code == 409, response.text
        detail = response.json()["detail"]
        assert detail.startswith(f"item_ids[1]: item {packed_id}")
        assert "cannot pack an item that is packed" in detail
        assert "allowed from packed: unpack, dispatch" in detail
        assert event_count(db) == before
        assert get_shipment(world, second["id"])["item_count"] == 0

    def test_count_above_unpacked_items_is_409(self, world: World, db: Database) -> None:
        p = ready_pledge(world, quantity=10, registered=3)
        s = shipment(world, p["id"], "TOPOST")
        before = event_count(db)
        response = pack(world, s["id"], count=5)
        assert response.status_code == 409, response.text
        detail = response.json()["detail"]
        assert detail.startswith("count:") and "only 3 unpacked items, not 5" in detail
        assert event_count(db) == before

    def test_neither_or_both_of_count_and_ids_is_422(self, world: World) -> None:
        p = ready_pledge(world)
        s = shipment(world, p["id"], "TOPOST")
        assert pack(world, s["id"]).status_code == 422
        both = pack(world, s["id"], count=1, item_ids=[1])
        assert both.status_code == 422 and "either item_ids or count" in both.json()["detail"]
        empty = pack(world, s["id"], item_ids=[])
        assert empty.status_code == 422 and "item_ids" in empty.json()["detail"]
        zero = pack(world, s["id"], count=0)
        assert zero.status_code == 422 and "count" in zero.json()["detail"]

    def test_dispatched_shipment_is_409(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2)
        response = pack(world, s["id"], count=1)
        assert response.status_code == 409, response.text
        assert "it is dispatched, not draft" in response.json()["detail"]


class TestUnpackShipment:
    """DELETE /api/v1/shipments/{id}/items/{item_id}."""

    def test_item_goes_back_to_pledged(self, world: World) -> None:
        p = ready_pledge(world)
        s, packed = sent(world, p["id"], count=3, dispatched=False)
        item_id = packed[1]["id"]
        result = world.ok(world.delete("korea", f"{SHIPMENTS}/{s['id']}/items/{item_id}"))
        assert result["item_count"] == 2 and result["status"] == "draft"
        item = next(i for i in pledge_items(world, p["id"]) if i["id"] == item_id)
        assert item["state"] == "pledged"
        assert item["shipment_id"] is None and item["recipient"] is None
        events = all_events(world, "coord", kind="item.unpacked")
        assert [(e["item_id"], e["shipment_id"]) for e in events] == [(item_id, s["id"])]

    def test_recipient_is_freed_for_repacking(self, world: World) -> None:
        p = ready_pledge(world, allocations={"TOPOST": 2})
        s, packed = sent(world, p["id"], count=2, dispatched=False)
        assert pack(world, s["id"], count=1).status_code == 409
        world.ok(world.delete("korea", f"{SHIPMENTS}/{s['id']}/items/{packed[0]['id']}"))
        result = world.ok(pack(world, s["id"], count=1))
        assert result["shipment"]["item_count"] == 2

    def test_item_not_in_shipment_is_404(self, world: World, db: Database) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2, dispatched=False)
        free = next(i["id"] for i in pledge_items(world, p["id"]) if i["state"] == "pledged")
        before = event_count(db)
        response = world.delete("korea", f"{SHIPMENTS}/{s['id']}/items/{free}")
        assert response.status_code == 404, response.text
        assert f"item {free} is not in shipment {s['id']}" in response.json()["detail"]
        assert event_count(db) == before

    def test_dispatched_shipment_is_409(self, world: World, db: Database) -> None:
        p = ready_pledge(world)
        s, packed = sent(world, p["id"], count=2)
        before = event_count(db)
        response = world.delete("korea", f"{SHIPMENTS}/{s['id']}/items/{packed[0]['id']}")
        assert response.status_code == 409, response.text
        assert "cannot unpack items from" in response.json()["detail"]
        assert "it is dispatched, not draft" in response.json()["detail"]
        assert event_count(db) == before
        assert shipment_items(world, s["id"])[0]["state"] == "in_transit"

    def test_another_donor_gets_404(self, world: World) -> None:
        p = ready_pledge(world)
        s, packed = sent(world, p["id"], count=2, dispatched=False)
        response = world.delete("japan", f"{SHIPMENTS}/{s['id']}/items/{packed[0]['id']}")
        assert response.status_code == 404, response.text


class TestDispatchShipment:
    """POST /api/v1/shipments/{id}/dispatch."""

    def test_items_go_in_transit_with_events(self, world: World) -> None:
        p = ready_pledge(world)
        s, packed = sent(world, p["id"], count=3, dispatched=False)
        result = world.ok(dispatch(world, s["id"]))
        assert result["status"] == "dispatched" and result["dispatched_at"] is not None
        assert result["item_count"] == 3
        assert {i["state"] for i in shipment_items(world, s["id"])} == {"in_transit"}
        events = all_events(world, "coord", shipment_id=s["id"])
        assert kinds(events).count("item.dispatched") == 3
        assert kinds(events)[0] == "shipment.dispatched"
        dispatched = [e for e in events if e["kind"] == "item.dispatched"]
        assert sorted(e["item_id"] for e in dispatched) == [i["id"] for i in packed]
        assert events[0]["data"]["items"] == 3

    def test_dispatched_at_in_the_past_is_kept(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=1, dispatched=False)
        at = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
        result = world.ok(dispatch(world, s["id"], dispatched_at=at.isoformat()))
        assert datetime.fromisoformat(result["dispatched_at"]) == at

    def test_dispatched_at_in_the_future_is_422(self, world: World, db: Database) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=1, dispatched=False)
        before = event_count(db)
        future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        response = dispatch(world, s["id"], dispatched_at=future)
        assert response.status_code == 422, response.text
        assert response.json()["detail"] == "dispatched_at: must not be in the future"
        assert event_count(db) == before
        assert get_shipment(world, s["id"])["status"] == "draft"

    def test_dispatched_at_without_offset_is_422(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=1, dispatched=False)
        response = dispatch(world, s["id"], dispatched_at="2026-01-01T10:00:00")
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith("dispatched_at:")

    def test_empty_shipment_is_409(self, world: World, db: Database) -> None:
        p = ready_pledge(world)
        s = shipment(world, p["id"], "TOPOST")
        before = event_count(db)
        response = dispatch(world, s["id"])
        assert response.status_code == 409, response.text
        assert "has no items" in response.json()["detail"]
        assert event_count(db) == before
        assert get_shipment(world, s["id"])["status"] == "draft"

    def test_dispatching_twice_is_409(self, world: World, db: Database) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2)
        before = event_count(db)
        response = dispatch(world, s["id"])
        assert response.status_code == 409, response.text
        assert f"cannot dispatch shipment {s['id']}" in response.json()["detail"]
        assert "it is dispatched, not draft" in response.json()["detail"]
        assert event_count(db) == before

    def test_post_tracking_number_given_at_dispatch_is_checked(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=1, dispatched=False, mode="post")
        bad = dispatch(world, s["id"], tracking_number="EE123456784KR")
        assert bad.status_code == 422, bad.text
        assert bad.json()["detail"].startswith("tracking_number:")
        assert "check digit" in bad.json()["detail"]
        result = world.ok(dispatch(world, s["id"], tracking_number="ee123456785kr"))
        assert result["tracking_number"] == VALID_S10

    def test_recipient_is_403(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=1, dispatched=False)
        assert dispatch(world, s["id"], who="tonga").status_code == 403


class TestCloseShipment:
    """POST /api/v1/shipments/{id}/close."""

    def test_recipient_closes_and_in_transit_items_go_missing(self, world: World) -> None:
        p = ready_pledge(world)
        s, packed = sent(world, p["id"], count=3)
        receive(world, packed[0]["tag"])
        result = world.ok(close(world, s["id"]))
        assert result["status"] == "closed" and result["closed_at"] is not None
        states = {i["id"]: i["state"] for i in shipment_items(world, s["id"])}
        assert states == {
            packed[0]["id"]: "received",
            packed[1]["id"]: "missing",
            packed[2]["id"]: "missing",
        }
        events = all_events(world, "coord", shipment_id=s["id"])
        missing = [e["item_id"] for e in events if e["kind"] == "item.missing"]
        assert sorted(missing) == [packed[1]["id"], packed[2]["id"]]
        assert events[0]["kind"] == "shipment.closed" and events[0]["data"] == {"missing": 2}
        assert events[0]["actor"] == "tonga"

    def test_coordinator_closes(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2)
        assert world.ok(close(world, s["id"], who="coord"))["status"] == "closed"

    def test_donor_is_403(self, world: World, db: Database) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2)
        before = event_count(db)
        response = close(world, s["id"], who="korea")
        assert response.status_code == 403, response.text
        assert "recipient, coordinator" in response.json()["detail"]
        assert event_count(db) == before

    def test_another_recipient_gets_404(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2)
        response = close(world, s["id"], who="fiji")
        assert response.status_code == 404, response.text
        assert get_shipment(world, s["id"])["status"] == "dispatched"

    def test_draft_is_409(self, world: World, db: Database) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2, dispatched=False)
        before = event_count(db)
        response = close(world, s["id"], who="coord")
        assert response.status_code == 409, response.text
        assert "cannot close shipment" in response.json()["detail"]
        assert "it is draft, not dispatched" in response.json()["detail"]
        assert event_count(db) == before

    def test_draft_is_hidden_from_the_recipient(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2, dispatched=False)
        assert close(world, s["id"]).status_code == 404

    def test_closing_twice_is_a_no_op(self, world: World, db: Database) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2)
        first = world.ok(close(world, s["id"]))
        before = event_count(db)
        second = world.ok(close(world, s["id"]))
        assert second == first
        assert event_count(db) == before

    def test_missing_item_found_later_is_received(self, world: World) -> None:
        p = ready_pledge(world)
        s, packed = sent(world, p["id"], count=2)
        world.ok(close(world, s["id"]))
        found = receive(world, packed[1]["tag"], condition="damaged")
        assert found["state"] == "received" and found["condition"] == "damaged"
        events = all_events(world, "coord", item_id=packed[1]["id"], kind="item.received")
        assert events[0]["data"]["from"] == "missing"
        after = get_shipment(world, s["id"])
        assert after["status"] == "closed" and after["received_count"] == 1


class TestOverdue:
    """The `overdue` flag of the Shipment shape."""

    def _past(self) -> str:
        return (datetime.now(UTC).date() - timedelta(days=3)).isoformat()

    def test_dispatched_and_past_expected_arrival_is_overdue(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2, expected_arrival=self._past())
        assert get_shipment(world, s["id"])["overdue"] is True
        listed = world.ok(world.get("tonga", SHIPMENTS))["data"]
        assert [x["overdue"] for x in listed] == [True]

    def test_draft_is_not_overdue(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2, dispatched=False, expected_arrival=self._past())
        assert get_shipment(world, s["id"])["overdue"] is False

    def test_future_expected_arrival_is_not_overdue(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2, expected_arrival="2099-12-31")
        assert get_shipment(world, s["id"])["overdue"] is False

    def test_without_expected_arrival_is_not_overdue(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2)
        assert get_shipment(world, s["id"])["overdue"] is False

    def test_received_is_not_overdue(self, world: World) -> None:
        p = ready_pledge(world)
        s, packed = sent(world, p["id"], count=2, expected_arrival=self._past())
        for item in packed:
            receive(world, item["tag"])
        after = get_shipment(world, s["id"])
        assert after["status"] == "received" and after["overdue"] is False

    def test_closed_is_not_overdue(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2, expected_arrival=self._past())
        world.ok(close(world, s["id"]))
        after = get_shipment(world, s["id"])
        assert after["status"] == "closed" and after["overdue"] is False

    def test_expected_arrival_set_at_dispatch(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2, dispatched=False)
        result = world.ok(dispatch(world, s["id"], expected_arrival=self._past()))
        assert result["expected_arrival"] == self._past() and result["overdue"] is True


class TestShipmentScope:
    """Who sees which shipments: GET /api/v1/shipments and /api/v1/shipments/{id}."""

    def test_another_donor_gets_404(self, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=2)
        response = world.get("japan", f"{SHIPMENTS}/{s['id']}")
        assert response.status_code == 404, response.text
        assert f"shipment {s['id']} not found" in response.json()["detail"]
        assert world.get("japan", f"{SHIPMENTS}/{s['id']}/items").status_code == 404
        assert world.ok(world.get("japan", SHIPMENTS))["data"] == []

    def test_recipient_does_not_see_drafts(self, world: World) -> None:
        p = ready_pledge(world)
        draft, _ = sent(world, p["id"], count=2, dispatched=False)
        assert world.get("tonga", f"{SHIPMENTS}/{draft['id']}").status_code == 404
        assert world.get("tonga", f"{SHIPMENTS}/{draft['id']}/items").status_code == 404
        assert world.ok(world.get("tonga", SHIPMENTS))["data"] == []
        world.ok(dispatch(world, draft["id"]))
        listed = world.ok(world.get("tonga", SHIPMENTS))["data"]
        assert [x["id"] for x in listed] == [draft["id"]]
        assert len(world.ok(world.get("tonga", f"{SHIPMENTS}/{draft['id']}/items"))) == 2

    def test_other_recipient_never_sees_them(self, world: World) -> None:
        p = ready_pledge(world, allocations={"TOPOST": 5, "FJPOST": 5})
        to_tonga, _ = sent(world, p["id"], count=2)
        to_fiji, _ = sent(world, p["id"], recipient="FJPOST", count=2)
        assert world.get("fiji", f"{SHIPMENTS}/{to_tonga['id']}").status_code == 404
        assert world.get("fiji", f"{SHIPMENTS}/{to_tonga['id']}/items").status_code == 404
        fiji_list = world.ok(world.get("fiji", SHIPMENTS))["data"]
        assert [x["id"] for x in fiji_list] == [to_fiji["id"]]
        tonga_list = world.ok(world.get("tonga", SHIPMENTS))["data"]
        assert [x["id"] for x in tonga_list] == [to_tonga["id"]]

    def test_donor_and_coordinator_see_their_shipments(self, world: World) -> None:
        korean = ready_pledge(world)
        japanese = ready_pledge(world, who="japan")
        k, _ = sent(world, korean["id"], count=1, dispatched=False)
        j, _ = sent(world, japanese["id"], count=1, who="japan", dispatched=False)
        assert [x["id"] for x in world.ok(world.get("korea", SHIPMENTS))["data"]] == [k["id"]]
        assert [x["id"] for x in world.ok(world.get("japan", SHIPMENTS))["data"]] == [j["id"]]
        everything = world.ok(world.get("coord", SHIPMENTS))["data"]
        assert [x["id"] for x in everything] == [j["id"], k["id"]]

    def test_status_filter(self, world: World) -> None:
        p = ready_pledge(world)
        draft, _ = sent(world, p["id"], count=1, dispatched=False)
        dispatched, _ = sent(world, p["id"], count=1)
        closed, _ = sent(world, p["id"], count=1)
        world.ok(close(world, closed["id"]))

        def listed(who: str, status: str) -> list[int]:
            page = world.ok(world.get(who, SHIPMENTS, params={"status": status}))
            return [x["id"] for x in page["data"]]

        assert listed("korea", "draft") == [draft["id"]]
        assert listed("korea", "dispatched") == [dispatched["id"]]
        assert listed("korea", "closed") == [closed["id"]]
        assert listed("korea", "received") == []
        assert listed("tonga", "draft") == []
        assert listed("tonga", "dispatched") == [dispatched["id"]]
        bad = world.get("korea", SHIPMENTS, params={"status": "lost"})
        assert bad.status_code == 422 and "status" in bad.json()["detail"]

    def test_cursor_paging_newest_first(self, world: World) -> None:
        p = ready_pledge(world)
        made = [sent(world, p["id"], count=1, dispatched=False)[0]["id"] for _ in range(5)]
        seen: list[int] = []
        params: dict[str, object] = {"limit": 2}
        pages = 0
        while True:
            page = world.ok(world.get("korea", SHIPMENTS, params=params))
            assert len(page["data"]) <= 2
            seen.extend(x["id"] for x in page["data"])
            pages += 1
            if page["next"] is None:
                break
            params["after"] = page["next"]
        assert seen == sorted(made, reverse=True) and pages == 3

    def test_limit_above_maximum_is_422(self, world: World) -> None:
        response = world.get("coord", SHIPMENTS, params={"limit": 1001})
        assert response.status_code == 422, response.text
        assert "limit" in response.json()["detail"]

    def test_shipment_of_another_pledge_by_pledge_filter(self, world: World) -> None:
        first = ready_pledge(world)
        second = ready_pledge(world, prefix="B")
        a, _ = sent(world, first["id"], count=1, dispatched=False)
        sent(world, second["id"], count=1, dispatched=False)
        page = world.ok(world.get("korea", SHIPMENTS, params={"pledge_id": first["id"]}))
        assert [x["id"] for x in page["data"]] == [a["id"]]

    def test_unknown_shipment_is_404(self, world: World) -> None:
        response = world.get("coord", f"{SHIPMENTS}/424242")
        assert response.status_code == 404, response.text
        assert "shipment 424242" in response.json()["detail"]
