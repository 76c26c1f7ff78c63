"""Concurrent scans against a real server (uvicorn in a thread): the item row lock makes
repeats safe, so racing requests write exactly one event and never answer 5xx."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.events.helpers import all_events, kinds
from tests.factories import World
from tests.scans.server import concurrently, running_server
from tests.shipments.helpers import get_shipment, ready_pledge, sent, shipment_items

pytestmark = pytest.mark.slow


def _statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def _receive_race(
    app: FastAPI, world: World, body: dict[str, Any], n: int, who: str = "tonga"
) -> list[httpx.Response]:
    headers = world.as_(who)
    with running_server(app) as base_url:
        return concurrently(
            n, lambda client, _: client.post("/api/v1/scans", json=body, headers=headers), base_url
        )


class TestConcurrentReceive:
    """Many receives of one item at the same moment."""

    @pytest.mark.parametrize("n", [2, 8])
    def test_racing_receives_write_one_event(self, app: FastAPI, world: World, n: int) -> None:
        p = ready_pledge(world)
        _, packed = sent(world, p["id"], count=2)
        item = packed[0]
        responses = _receive_race(app, world, {"tag": item["tag"], "action": "receive"}, n)
        assert _statuses(responses) == {200: n}, [r.text for r in responses]
        bodies = [r.json() for r in responses]
        assert {b["state"] for b in bodies} == {"received"}
        assert sorted(b["replayed"] for b in bodies) == [False] + [True] * (n - 1)
        events = all_events(world, "coord", item_id=item["id"], kind="item.received")
        assert len(events) == 1

    def test_racing_receives_with_different_conditions(self, app: FastAPI, world: World) -> None:
        p = ready_pledge(world)
        _, packed = sent(world, p["id"], count=1)
        tag = packed[0]["tag"]
        headers = world.as_("tonga")

        def call(client: httpx.Client, index: int) -> httpx.Response:
            condition = "good" if index % 2 else "damaged"
            body = {"tag": tag, "action": "receive", "condition": condition}
            return client.post("/api/v1/scans", json=body, headers=headers)

        with running_server(app) as base_url:
            responses = concurrently(8, call, base_url)
        statuses = _statuses(responses)
        assert set(statuses) <= {200, 409}, [r.text for r in responses]
        events = all_events(world, "coord", item_id=packed[0]["id"], kind="item.received")
        assert len(events) == 1
        winner = events[0]["data"]["condition"]
        for index, response in enumerate(responses):
            same = ("good" if index % 2 else "damaged") == winner
            assert response.status_code == (200 if same else 409), response.text

    def test_eight_replays_of_one_client_event_id(self, app: FastAPI, world: World) -> None:
        p = ready_pledge(world)
        _, packed = sent(world, p["id"], count=2)
        body = {"tag": packed[0]["tag"], "action": "receive", "client_event_id": "phone:0001"}
        responses = _receive_race(app, world, body, 8)
        assert _statuses(responses) == {200: 8}, [r.text for r in responses]
        assert sorted(r.json()["replayed"] for r in responses) == [False] + [True] * 7
        events = all_events(world, "coord", item_id=packed[0]["id"])
        assert kinds(events).count("item.received") == 1

    def test_racing_receives_of_every_item_complete_the_shipment_once(
        self, app: FastAPI, world: World
    ) -> None:
        p = ready_pledge(world)
        s, packed = sent(world, p["id"], count=8)
        headers = world.as_("tonga")

        def call(client: httpx.Client, index: int) -> httpx.Response:
            body = {"tag": packed[index]["tag"], "action": "receive"}
            return client.post("/api/v1/scans", json=body, headers=headers)

        with running_server(app) as base_url:
            responses = concurrently(8, call, base_url)
        assert _statuses(responses) == {200: 8}, [r.text for r in responses]
        assert get_shipment(world, s["id"])["status"] == "received"
        assert kinds(all_events(world, "coord", kind="shipment.received")) == ["shipment.received"]
        assert kinds(all_events(world, "coord", kind="item.received")).count("item.received") == 8

    def test_receive_racing_close(self, app: FastAPI, world: World) -> None:
        """The recipient closes a shipment while its last items are scanned: either order
        is fine (a missing item can still be received), a 5xx or a deadlock is not."""
        p = ready_pledge(world, quantity=30, allocations={"TOPOST": 30})
        rounds = [sent(world, p["id"], count=3) for _ in range(6)]
        headers = world.as_("tonga")
        with running_server(app) as base_url:
            for s, packed in rounds:

                def call(client: httpx.Client, index: int, s: Any = s, packed: Any = packed) -> Any:
                    if index == 0:
                        return client.post(f"/api/v1/shipments/{s['id']}/close", headers=headers)
                    body = {"tag": packed[index - 1]["tag"], "action": "receive"}
                    return client.post("/api/v1/scans", json=body, headers=headers)

                closing, *scans = concurrently(4, call, base_url)
                assert _statuses(scans) == {200: 3}, [r.text for r in scans]
                assert {i["state"] for i in shipment_items(world, s["id"])} == {"received"}
                status = get_shipment(world, s["id"])["status"]
                if status == "closed":
                    assert closing.status_code == 200, closing.text
                else:  # every scan came first: the shipment was received, not closable
                    assert status == "received"
                    assert closing.status_code == 409, closing.text
                    assert "it is received, not dispatched" in closing.json()["detail"]
