"""Load and faults with real parallel clients against running servers (issue: trustworthy
under load, faults and attack). These start servers and processes: marked `slow`."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import bindparam, text

from donations.db import Database
from donations.events import chain
from tests.factories import World, allocate, pledge
from tests.scans.server import free_port, running_server

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def in_transit(world: World, count: int, recipient: str = "TOPOST") -> list[str]:
    """`count` items of a new pledge dispatched to `recipient`; their tags."""
    p = pledge(world, quantity=count)
    world.ok(world.post("korea", f"/api/v1/pledges/{p['id']}/items", json={"generate": count}), 201)
    allocate(world, p["id"], recipient, count)
    s = world.ok(
        world.post(
            "korea",
            "/api/v1/shipments",
            json={"pledge_id": p["id"], "recipient": recipient, "mode": "air"},
        ),
        201,
    )
    world.ok(world.post("korea", f"/api/v1/shipments/{s['id']}/items", json={"count": count}))
    world.ok(world.post("korea", f"/api/v1/shipments/{s['id']}/dispatch", json={}))
    items = world.ok(world.get("coord", f"/api/v1/shipments/{s['id']}/items"))
    return [i["tag"] for i in items]


def storm_plan(tags: list[str], total: int, seed: int = 7) -> list[dict[str, str]]:
    """`total` receive requests: one per tag with its own client_event_id, and a third more
    that repeat one: replays of the same client_event_id, or plain repeats."""
    rng = random.Random(seed)
    first = [
        {"tag": t, "action": "receive", "client_event_id": f"dev-{n}"} for n, t in enumerate(tags)
    ]
    repeats = []
    for n in range(total - len(first)):
        original = rng.choice(first)
        repeats.append(dict(original) if n % 2 else {"tag": original["tag"], "action": "receive"})
    plan = first + repeats
    rng.shuffle(plan)
    return plan


def fire(
    base_urls: list[str], headers: dict[str, str], plan: list[dict[str, str]], threads: int = 8
) -> Counter[int]:
    """Send the plan from `threads` threads (round robin over the servers); the statuses."""
    chunks = [plan[i::threads] for i in range(threads)]
    barrier = threading.Barrier(threads, timeout=60)

    def run(index: int) -> list[int]:
        base = base_urls[index % len(base_urls)]
        statuses = []
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            client.get("/healthz")
            barrier.wait()
            for body in chunks[index]:
                statuses.append(client.post("/api/v1/scans", json=body).status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return Counter(s for statuses in pool.map(run, range(threads)) for s in statuses)


def assert_received_once(db: Database, tags: list[str]) -> None:
    with db.engine.connect() as conn:
        states = Counter(
            r[0]
            for r in conn.execute(
                text("SELECT state FROM items WHERE tag IN :tags").bindparams(
                    bindparam("tags", expanding=True)
                ),
                {"tags": tags},
            )
        )
        received = conn.execute(
            text(
                "SELECT item_id, count(*) FROM events WHERE kind = 'item.received' GROUP BY item_id"
            )
        ).all()
    assert states == {"received": len(tags)}
    assert len(received) == len(tags) and all(n == 1 for _, n in received)
    with db.session(write=False) as session:
        _, broken, _ = chain.verify(session)
    assert broken is None


class TestScanStorm:
    def test_2000_scans_from_8_threads_receive_each_item_once(
        self, world: World, app: FastAPI, db: Database
    ) -> None:
        tags = in_transit(world, 1334)
        plan = storm_plan(tags, 2000)
        with running_server(app) as base:
            statuses = fire([base], world.as_("tonga"), plan)
        assert statuses == {200: 2000}
        assert_received_once(db, tags)


@contextmanager
def app_process(database_url: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`donations` served by uvicorn in a process of its own, as a deployment runs it."""
    env = os.environ | {"DONATIONS_DATABASE_URL": database_url, "DONATIONS_ENVIRONMENT": "test"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "donations.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"app did not start: {process.stderr.read().decode() if process.stderr else ''}"
                )
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


class TestTwoProcesses:
    @pytest.mark.postgres_only
    def test_two_app_processes_on_one_database_still_receive_once(
        self, world: World, db: Database, database_url: str
    ) -> None:
        tags = in_transit(world, 600)
        plan = storm_plan(tags, 900, seed=11)
        ports = [free_port(), free_port()]
        with app_process(database_url, ports[0]), app_process(database_url, ports[1]):
            statuses = fire([f"http://127.0.0.1:{p}" for p in ports], world.as_("tonga"), plan)
        assert statuses == {200: 900}
        assert_received_once(db, tags)


class TestPackingRace:
    def test_concurrent_packing_never_exceeds_the_allocation(
        self, world: World, app: FastAPI, db: Database
    ) -> None:
        p = pledge(world, quantity=40)
        world.ok(
            world.post("korea", f"/api/v1/pledges/{p['id']}/items", json={"generate": 40}), 201
        )
        allocate(world, p["id"], "TOPOST", 10)
        shipments = [
            world.ok(
                world.post(
                    "korea",
                    "/api/v1/shipments",
                    json={"pledge_id": p["id"], "recipient": "TOPOST", "mode": "air"},
                ),
                201,
            )["id"]
            for _ in range(8)
        ]
        barrier = threading.Barrier(8, timeout=30)

        with running_server(app) as base:

            def pack(index: int) -> int:
                with httpx.Client(base_url=base, headers=world.as_("korea"), timeout=60) as client:
                    client.get("/healthz")
                    barrier.wait()
                    return client.post(
                        f"/api/v1/shipments/{shipments[index]}/items", json={"count": 3}
                    ).status_code

            with ThreadPoolExecutor(max_workers=8) as pool:
                statuses = Counter(pool.map(pack, range(8)))
        assert statuses == {200: 3, 409: 5}
        with db.engine.connect() as conn:
            packed = conn.execute(
                text("SELECT count(*) FROM items WHERE recipient_id IS NOT NULL")
            ).scalar()
        assert packed == 9


class TestKilledDuringImport:
    def test_sigkill_in_the_middle_of_a_10000_row_import_keeps_all_or_nothing(
        self, world: World, db: Database, database_url: str
    ) -> None:
        p = pledge(world, quantity=30_000)
        csv = "serial,model,notes\n" + "".join(
            f"KR-{n:06d},Samsung DM500,\n" for n in range(10_000)
        )
        outcomes = []
        for attempt, delay in enumerate((0.15, 0.6, 1.5)):
            body = csv.replace("KR-", f"K{attempt}-")
            port = free_port()
            with app_process(database_url, port) as process:

                def upload(port: int = port, body: str = body) -> None:
                    with contextlib.suppress(httpx.HTTPError):  # the server dies under it
                        httpx.post(
                            f"http://127.0.0.1:{port}/api/v1/pledges/{p['id']}/items",
                            headers=world.as_("korea"),
                            files={"file": ("items.csv", body, "text/csv")},
                            timeout=60,
                        )

                sender = threading.Thread(target=upload)
                sender.start()
                time.sleep(delay)
                process.send_signal(signal.SIGKILL)
                process.wait(10)
                sender.join(60)
            with db.engine.connect() as conn:
                n = conn.execute(
                    text("SELECT count(*) FROM items WHERE serial LIKE :p"), {"p": f"K{attempt}-%"}
                ).scalar()
            assert n in (0, 10_000), f"attempt {attempt}: {n} rows of 10,000 after SIGKILL"
            outcomes.append(n)
        # The database is sound after the crashes: integrity check, and the event chain.
        if db.is_sqlite:
            path = database_url.removeprefix("sqlite:///")
            conn2 = sqlite3.connect(path)
            try:
                assert conn2.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            finally:
                conn2.close()
        with db.session(write=False) as session:
            _, broken, _ = chain.verify(session)
        assert broken is None
        with db.engine.connect() as conn:
            assert conn.execute(
                text("SELECT count(*) FROM items WHERE pledge_id = :p"), {"p": p["id"]}
            ).scalar() == sum(outcomes)
