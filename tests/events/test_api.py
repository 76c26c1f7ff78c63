"""GET /api/v1/events: the audit trail, newest first, cursor-paged, filtered and scoped."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest

from donations.db import Database
from donations.events.schemas import EventRead
from tests.events.helpers import all_events, event_count, kinds
from tests.factories import World
from tests.shipments.helpers import ready_pledge, receive, sent

EVENTS = "/api/v1/events"


class Trail:
    """The scenario's ids: a Korea Post pledge to Tonga Post with a dispatched shipment
    (one item received) and a draft; a Japan Post pledge with a draft to Tonga Post."""

    def __init__(self, world: World) -> None:
        korea = ready_pledge(world, quantity=6, allocations={"TOPOST": 4})
        self.pledge_id: int = korea["id"]
        self.shipment, self.items = sent(world, korea["id"], count=2)
        self.draft, self.draft_items = sent(world, korea["id"], count=1, dispatched=False)
        receive(world, self.items[0]["tag"])
        japan = ready_pledge(world, who="japan", quantity=2, allocations={"TOPOST": 2}, prefix="J")
        self.japan_pledge_id: int = japan["id"]
        self.japan_draft, _ = sent(world, japan["id"], count=1, who="japan", dispatched=False)


@pytest.fixture
def trail(world: World) -> Trail:
    return Trail(world)


def ids(events: list[dict[str, Any]]) -> list[int]:
    return [e["id"] for e in events]


class TestEventList:
    """Order, shape and paging."""

    def test_newest_first_with_the_event_shape(
        self, world: World, db: Database, trail: Trail
    ) -> None:
        events = all_events(world, "coord")
        assert len(events) == event_count(db)
        assert ids(events) == sorted(ids(events), reverse=True)
        assert list(events[0]) == list(EventRead.model_fields)
        ats = [datetime.fromisoformat(e["at"]) for e in events]
        assert ats == sorted(ats, reverse=True)
        assert all(a.utcoffset() is not None for a in ats)
        newest = events[0]
        assert newest["kind"] == "item.packed" and newest["actor"] == "japan"
        assert newest["organisation"] == "JPPOST" and newest["source"] == "api"
        assert newest["pledge_id"] == trail.japan_pledge_id
        assert newest["data"] == {"shipment_tag": trail.japan_draft["tag"]}

    def test_cursor_paging_walks_every_event_once(self, world: World, trail: Trail) -> None:
        everything = all_events(world, "coord")
        walked: list[int] = []
        params: dict[str, Any] = {"limit": 3}
        while True:
            page = world.ok(world.get("coord", EVENTS, params=params))
            assert 1 <= len(page["data"]) <= 3
            walked.extend(ids(page["data"]))
            if page["next"] is None:
                break
            params["after"] = page["next"]
        assert walked == ids(everything)
        assert len(set(walked)) == len(walked)

    def test_default_page_is_fifty(self, world: World, trail: Trail) -> None:
        page = world.ok(world.get("coord", EVENTS))
        total = len(all_events(world, "coord"))
        assert len(page["data"]) == min(50, total)
        assert (page["next"] is None) == (total <= 50)

    def test_limit_out_of_range_is_422(self, world: World) -> None:
        for limit in (0, 1001):
            response = world.get("coord", EVENTS, params={"limit": limit})
            assert response.status_code == 422, response.text
            assert response.json()["detail"].startswith("limit:")

    def test_bad_cursor_is_422(self, world: World) -> None:
        response = world.get("coord", EVENTS, params={"after": "yesterday"})
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith("after:")

    def test_anonymous_is_401(self, world: World) -> None:
        assert world.get(None, EVENTS).status_code == 401

    def test_events_are_never_updated(self, world: World, trail: Trail) -> None:
        before = all_events(world, "coord")
        receive(world, trail.items[1]["tag"], condition="damaged", note="wet")
        after = all_events(world, "coord")
        new = [e for e in after if e["id"] > before[0]["id"]]
        assert kinds(new) == ["shipment.received", "item.received"]
        assert after[len(new) :] == before


class TestEventFilters:
    """kind, item_id, shipment_id, pledge_id, organisation, since and until."""

    def test_kind_exact(self, world: World, trail: Trail) -> None:
        events = all_events(world, "coord", kind="item.packed")
        assert set(kinds(events)) == {"item.packed"} and len(events) == 4

    def test_kind_prefix_ending_in_a_dot(self, world: World, trail: Trail) -> None:
        events = all_events(world, "coord", kind="shipment.")
        assert sorted(kinds(events)) == sorted(["shipment.created"] * 3 + ["shipment.dispatched"])

    def test_kind_without_dot_is_exact(self, world: World, trail: Trail) -> None:
        assert all_events(world, "coord", kind="shipment") == []
        assert all_events(world, "coord", kind="item.pack") == []

    def test_kind_prefix_is_not_a_pattern(self, world: World, trail: Trail) -> None:
        assert all_events(world, "coord", kind="%.") == []
        assert all_events(world, "coord", kind="item_.") == []

    def test_kind_too_long_is_422(self, world: World) -> None:
        response = world.get("coord", EVENTS, params={"kind": "x" * 41})
        assert response.status_code == 422 and response.json()["detail"].startswith("kind:")

    def test_item_id(self, world: World, trail: Trail) -> None:
        events = all_events(world, "coord", item_id=trail.items[0]["id"])
        assert kinds(events) == ["item.received", "item.dispatched", "item.packed"]
        assert {e["item_id"] for e in events} == {trail.items[0]["id"]}

    def test_shipment_id(self, world: World, trail: Trail) -> None:
        events = all_events(world, "coord", shipment_id=trail.shipment["id"])
        assert sorted(kinds(events)) == sorted(
            ["shipment.created", "shipment.dispatched", "item.received"]
            + ["item.packed"] * 2
            + ["item.dispatched"] * 2
        )

    def test_pledge_id(self, world: World, trail: Trail) -> None:
        events = all_events(world, "coord", pledge_id=trail.japan_pledge_id)
        assert kinds(events) == [
            "item.packed",
            "shipment.created",
            "allocation.created",
            "items.imported",
            "pledge.created",
        ]

    def test_filters_combine(self, world: World, trail: Trail) -> None:
        events = all_events(world, "coord", pledge_id=trail.pledge_id, kind="item.")
        assert sorted(kinds(events)) == sorted(
            ["item.packed"] * 3 + ["item.dispatched"] * 2 + ["item.received"]
        )

    def test_organisation_as_actor_donor_or_recipient(self, world: World, trail: Trail) -> None:
        events = all_events(world, "coord", organisation="topost")
        # Tonga Post acted (the receive) or is the recipient (allocations, dispatch).
        assert sorted(kinds(events)) == sorted(
            ["allocation.created"] * 2
            + ["item.dispatched"] * 2
            + ["shipment.dispatched", "item.received"]
        )
        japan = all_events(world, "coord", organisation="JPPOST")
        assert {e["pledge_id"] for e in japan} == {trail.japan_pledge_id}

    def test_unknown_organisation_is_422(self, world: World) -> None:
        response = world.get("coord", EVENTS, params={"organisation": "NOPOST"})
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail.startswith("organisation:") and "NOPOST" in detail

    def test_since_and_until(self, world: World) -> None:
        p = ready_pledge(world, quantity=3)
        time.sleep(0.05)
        s, packed = sent(world, p["id"], count=2)
        time.sleep(0.05)
        receive(world, packed[0]["tag"])
        events = all_events(world, "coord")
        dispatched = next(e for e in events if e["kind"] == "shipment.dispatched")
        cut = dispatched["at"]
        cut_at = datetime.fromisoformat(cut)
        since = all_events(world, "coord", since=cut)
        assert since == [e for e in events if datetime.fromisoformat(e["at"]) >= cut_at]
        assert "shipment.dispatched" in kinds(since) and "pledge.created" not in kinds(since)
        until = all_events(world, "coord", until=cut)
        assert until == [e for e in events if datetime.fromisoformat(e["at"]) < cut_at]
        assert "shipment.dispatched" not in kinds(until) and "pledge.created" in kinds(until)
        assert sorted(ids(since) + ids(until), reverse=True) == ids(events)
        window = all_events(world, "coord", since=cut, until=cut)
        assert window == []

    def test_since_with_another_offset(self, world: World, trail: Trail) -> None:
        events = all_events(world, "coord")
        cut = datetime.fromisoformat(events[len(events) // 2]["at"])
        in_tokyo = cut.astimezone(datetime.fromisoformat("2026-01-01T00:00:00+09:00").tzinfo)
        since = all_events(world, "coord", since=in_tokyo.isoformat())
        assert since == [e for e in events if datetime.fromisoformat(e["at"]) >= cut]

    def test_bad_since_is_422(self, world: World) -> None:
        response = world.get("coord", EVENTS, params={"since": "last tuesday"})
        assert response.status_code == 422 and response.json()["detail"].startswith("since:")


class TestEventScope:
    """Who sees which events."""

    def test_coordinator_sees_everything(self, world: World, db: Database, trail: Trail) -> None:
        assert len(all_events(world, "coord")) == event_count(db)

    def test_donor_sees_its_pledge_events(self, world: World, trail: Trail) -> None:
        mine = all_events(world, "korea")
        assert mine == all_events(world, "coord", pledge_id=trail.pledge_id)
        assert sorted(set(kinds(mine))) == [
            "allocation.created",
            "item.dispatched",
            "item.packed",
            "item.received",
            "items.imported",
            "pledge.created",
            "shipment.created",
            "shipment.dispatched",
        ]

    def test_other_donor_sees_none_of_them(self, world: World, trail: Trail) -> None:
        theirs = all_events(world, "japan")
        assert theirs == all_events(world, "coord", pledge_id=trail.japan_pledge_id)
        assert trail.pledge_id not in {e["pledge_id"] for e in theirs}
        assert all_events(world, "japan", pledge_id=trail.pledge_id) == []
        assert all_events(world, "japan", item_id=trail.items[0]["id"]) == []

    def test_recipient_sees_what_was_sent_to_it(self, world: World, trail: Trail) -> None:
        seen = all_events(world, "tonga")
        assert sorted(kinds(seen)) == sorted(
            ["allocation.created"] * 2
            + ["item.dispatched"] * 2
            + ["shipment.dispatched", "item.received"]
        )
        assert "item.packed" not in kinds(seen) and "shipment.created" not in kinds(seen)
        shipments = {e["shipment_id"] for e in seen} - {None}
        assert shipments == {trail.shipment["id"]}
        assert all_events(world, "tonga", shipment_id=trail.draft["id"]) == []

    def test_draft_packing_stays_hidden_until_dispatch(self, world: World, trail: Trail) -> None:
        world.ok(world.post("korea", f"/api/v1/shipments/{trail.draft['id']}/dispatch", json={}))
        seen = all_events(world, "tonga", shipment_id=trail.draft["id"])
        assert sorted(kinds(seen)) == ["item.dispatched", "shipment.dispatched"]

    def test_other_recipient_sees_none(self, world: World, trail: Trail) -> None:
        assert all_events(world, "fiji") == []
        assert all_events(world, "fiji", organisation="TOPOST") == []
