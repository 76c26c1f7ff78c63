"""Allocations under real concurrency: a uvicorn server in a thread, one client per thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from donations.app import create_app
from donations.config import Settings
from tests.factories import World, pledge

THREADS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server_url(settings: Settings, world: World) -> Iterator[str]:
    """The app served by uvicorn on a free port, on the same database as `world`."""
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start in 20 s"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        app.state.db.dispose()


def post_at_once(url: str, headers: dict[str, str], body: dict[str, Any]) -> list[httpx.Response]:
    """POST `body` from THREADS threads released together by a barrier."""
    barrier = threading.Barrier(THREADS)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def post() -> None:
        with httpx.Client(timeout=30) as client:
            barrier.wait()
            response = client.post(url, headers=headers, json=body)
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(responses) == THREADS
    return responses


@pytest.mark.slow
class TestConcurrentAllocations:
    def test_simultaneous_allocations_never_exceed_the_pledge(
        self, world: World, server_url: str
    ) -> None:
        p = pledge(world, quantity=100)
        url = f"{server_url}/api/v1/pledges/{p['id']}/allocations"

        responses = post_at_once(url, world.as_("coord"), {"recipient": "TOPOST", "quantity": 30})

        statuses = [r.status_code for r in responses]
        details = [r.text for r in responses]
        assert sorted(statuses) == [201] * 3 + [409] * 5, details
        allocations = world.ok(world.get("coord", f"/api/v1/pledges/{p['id']}/allocations"))
        assert [a["quantity"] for a in allocations] == [30, 30, 30]
        assert world.ok(world.get("coord", f"/api/v1/pledges/{p['id']}"))["allocated"] == 90
        refusals = [d for d, s in zip(details, statuses, strict=True) if s == 409]
        assert all("only 10 remain, not 30" in d for d in refusals), refusals
        events = world.ok(
            world.get("coord", f"/api/v1/events?kind=allocation.created&pledge_id={p['id']}")
        )["data"]
        assert len(events) == 3


@pytest.mark.slow
class TestConcurrentItems:
    def test_simultaneous_item_batches_never_exceed_the_pledge(
        self, world: World, server_url: str
    ) -> None:
        p = pledge(world, quantity=100)
        url = f"{server_url}/api/v1/pledges/{p['id']}/items"

        responses = post_at_once(url, world.as_("korea"), {"generate": 30})

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] * 3 + [409] * 5, [r.text for r in responses]
        assert world.ok(world.get("coord", f"/api/v1/pledges/{p['id']}"))["item_count"] == 90
        events = world.ok(
            world.get("coord", f"/api/v1/events?kind=items.imported&pledge_id={p['id']}")
        )["data"]
        assert [e["data"]["item_count"] for e in reversed(events)] == [30, 60, 90]
