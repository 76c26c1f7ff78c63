"""Concurrent shipment writes against a real server: packing never goes above the
allocation, a shipment is dispatched once, and nothing answers 5xx."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from fastapi import FastAPI

from tests.events.helpers import all_events, kinds
from tests.factories import World, shipment
from tests.scans.server import concurrently, running_server
from tests.shipments.helpers import get_shipment, pledge_items, ready_pledge, sent

pytestmark = pytest.mark.slow


class TestConcurrentShipmentWrites:
    """Racing donors on one pledge."""

    def test_racing_packs_never_exceed_the_allocation(self, app: FastAPI, world: World) -> None:
        p = ready_pledge(world, quantity=20, allocations={"TOPOST": 5, "FJPOST": 15})
        drafts = [shipment(world, p["id"], "TOPOST") for _ in range(4)]
        headers = world.as_("korea")

        def call(client: httpx.Client, index: int) -> httpx.Response:
            url = f"/api/v1/shipments/{drafts[index]['id']}/items"
            return client.post(url, json={"count": 2}, headers=headers)

        with running_server(app) as base_url:
            responses = concurrently(4, call, base_url)
        assert Counter(r.status_code for r in responses) == {200: 2, 409: 2}, [
            r.text for r in responses
        ]
        for response in responses:
            if response.status_code == 409:
                assert "TOPOST has 5 units allocated" in response.json()["detail"]
        packed = [i for i in pledge_items(world, p["id"]) if i["state"] == "packed"]
        assert len(packed) == 4 and {i["recipient"] for i in packed} == {"TOPOST"}
        assert len(all_events(world, "coord", kind="item.packed")) == 4

    def test_racing_packs_by_count_take_distinct_items(self, app: FastAPI, world: World) -> None:
        p = ready_pledge(world, quantity=16, allocations={"TOPOST": 8, "FJPOST": 8})
        drafts = [shipment(world, p["id"], code) for code in ("TOPOST", "FJPOST") * 2]
        headers = world.as_("korea")

        def call(client: httpx.Client, index: int) -> httpx.Response:
            url = f"/api/v1/shipments/{drafts[index]['id']}/items"
            return client.post(url, json={"count": 4}, headers=headers)

        with running_server(app) as base_url:
            responses = concurrently(4, call, base_url)
        assert Counter(r.status_code for r in responses) == {200: 4}, [r.text for r in responses]
        taken = [i for r in responses for i in r.json()["item_ids"]]
        assert len(taken) == len(set(taken)) == 16
        assert len(all_events(world, "coord", kind="item.packed")) == 16

    def test_racing_dispatches_dispatch_once(self, app: FastAPI, world: World) -> None:
        p = ready_pledge(world)
        s, _ = sent(world, p["id"], count=3, dispatched=False)
        headers = world.as_("korea")

        def call(client: httpx.Client, index: int) -> httpx.Response:
            return client.post(f"/api/v1/shipments/{s['id']}/dispatch", json={}, headers=headers)

        with running_server(app) as base_url:
            responses = concurrently(6, call, base_url)
        assert Counter(r.status_code for r in responses) == {200: 1, 409: 5}, [
            r.text for r in responses
        ]
        assert get_shipment(world, s["id"])["status"] == "dispatched"
        events = all_events(world, "coord", shipment_id=s["id"])
        assert kinds(events).count("shipment.dispatched") == 1
        assert kinds(events).count("item.dispatched") == 3
