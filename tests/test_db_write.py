"""`Database.write`, the hot path's write transaction: on SQLite it runs at once on the event
loop when no lock is held, and otherwise waits its turn on the database thread, without the
event loop ever waiting; on PostgreSQL it runs in the threadpool."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, bindparam, select, text, update

from donations import db as db_module
from donations.config import Settings
from donations.db import CHAIN_LOCKED, Database
from donations.models import Organisation
from donations.prepared import Prepared

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    """`run(main)` in a thread of its own: the test process's main thread may have
    a loop running already (Playwright's sync API keeps one)."""
    with ThreadPoolExecutor(1, thread_name_prefix="test-loop") as pool:
        return pool.submit(lambda: asyncio.run(main())).result()  # type: ignore[arg-type]


RENAME = Prepared(
    update(Organisation).where(Organisation.code == bindparam("code")), columns=["name"]
)
NAME = Prepared(select(Organisation.name).where(Organisation.code == bindparam("code")))


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    with database.transaction() as session:
        session.add(Organisation(code="TOPOST", name="Tonga Post", country="TO", kind="recipient"))
    yield database
    database.dispose()


def _rename(name: str) -> Any:
    def work(conn: Connection) -> str:
        RENAME.run(conn, code="TOPOST", name=name)
        return threading.current_thread().name

    return work


def _name(database: Database) -> str:
    with database.engine.begin() as conn:
        return str(NAME.scalar(conn, code="TOPOST"))


def test_commits_what_the_work_wrote(database: Database) -> None:
    run(lambda: database.write(_rename("Tonga Post Ltd")))
    assert _name(database) == "Tonga Post Ltd"


def test_rolls_back_when_the_work_raises(database: Database) -> None:
    def fails(conn: Connection) -> None:
        RENAME.run(conn, code="TOPOST", name="half done")
        raise LookupError("refused")

    with pytest.raises(LookupError):
        run(lambda: database.write(fails))
    assert _name(database) == "Tonga Post"


@pytest.fixture
def on_sqlite(database: Database) -> Database:
    if not database.is_sqlite:
        pytest.skip("SQLite only: PostgreSQL writes in the threadpool")
    return database


def test_sqlite_writes_at_once_on_the_event_loop_when_nothing_holds_a_lock(
    on_sqlite: Database,
) -> None:
    async def main() -> tuple[str, str]:
        return threading.current_thread().name, await on_sqlite.write(_rename("at once"))

    loop_thread, ran_on = run(main)
    assert ran_on == loop_thread
    assert _name(on_sqlite) == "at once"


def test_sqlite_start_makes_the_wal_on_the_database_thread(
    settings: Settings, database_url: str
) -> None:
    """The first write may create the WAL, which syncs the disk: `start` (at the app's
    start-up) makes it on the database thread, and the writes after it run on the loop."""
    wal = Path(database_url.removeprefix("sqlite:///") + "-wal")
    database = Database(settings)
    made_on: list[str] = []
    real = db_module._checkpoint

    def spy(dbapi_connection: Any) -> None:
        made_on.append(threading.current_thread().name)
        real(dbapi_connection)

    try:
        db_module._checkpoint = spy  # type: ignore[assignment]

        async def main() -> tuple[str, bool, str]:
            await database.start()
            made = wal.exists()
            return threading.current_thread().name, made, await database.write(_rename("first"))

        loop_thread, wal_made, ran_on = run(main)
    finally:
        db_module._checkpoint = real  # type: ignore[assignment]
        database.dispose()
    if not database.is_sqlite:
        assert made_on == []
        return
    assert made_on and all(name.startswith("sqlite-serial") for name in made_on)
    assert wal_made
    assert ran_on == loop_thread


def test_sqlite_awaits_another_thread_of_this_process_without_blocking_the_loop(
    on_sqlite: Database,
) -> None:
    """A long write of this process (an import, in the threadpool) holds the write lock: the
    scan awaits its release while the event loop goes on serving, then runs at once."""
    on_sqlite.write_lock.__enter__()
    try:

        async def main() -> tuple[str, str, int]:
            scans = [
                asyncio.ensure_future(on_sqlite.write(_rename(f"after the import {n}")))
                for n in range(3)
            ]
            ticks = 0
            while not any(scan.done() for scan in scans) and ticks < 5:
                await asyncio.sleep(0.01)  # the loop is free while the scans wait
                ticks += 1
            assert not any(scan.done() for scan in scans)
            threading.Timer(0.05, on_sqlite.write_lock.__exit__, (None, None, None)).start()
            ran_on = [await scan for scan in scans]
            return threading.current_thread().name, ran_on[-1], ticks

        loop_thread, ran_on, ticks = run(main)
    except BaseException:
        if on_sqlite._sqlite_lock.locked():
            on_sqlite.write_lock.__exit__(None, None, None)
        raise
    assert ticks == 5
    assert ran_on == loop_thread
    assert _name(on_sqlite) == "after the import 2"


def test_sqlite_never_waits_on_the_event_loop_for_another_process(
    on_sqlite: Database, database_url: str
) -> None:
    """Another process (a second server, the CLI) holds SQLite's write lock: the scan queues
    on the database thread, whose connection waits for the lock (busy timeout)."""
    other = sqlite3.connect(
        database_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")
    try:

        async def main() -> str:
            scan = asyncio.ensure_future(on_sqlite.write(_rename("after the other process")))
            started = time.monotonic()
            await asyncio.sleep(0.05)  # the event loop runs: the scan did not block it
            assert time.monotonic() - started < 1
            assert not scan.done()
            threading.Timer(0.05, other.execute, ("COMMIT",)).start()
            return await scan

        ran_on = run(main)
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    assert ran_on.startswith("sqlite-serial")
    assert _name(on_sqlite) == "after the other process"


def test_sqlite_checkpoints_on_the_database_thread_and_the_wal_stays_small(
    on_sqlite: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event loop never checkpoints the WAL nor writes first after a checkpoint (both
    sync the disk): every CHECKPOINT_EVERY writes the database thread does both, so the WAL
    starts over instead of growing, while the writes themselves stay on the loop."""
    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY", 8)
    made_on: list[str] = []
    real = db_module._checkpoint

    def spy(dbapi_connection: Any) -> None:
        made_on.append(threading.current_thread().name)
        real(dbapi_connection)

    monkeypatch.setattr(db_module, "_checkpoint", spy)

    async def main() -> tuple[str, list[str]]:
        ran_on = []
        for n in range(400):
            ran_on.append(await on_sqlite.write(_rename(f"name {n}")))
            await asyncio.sleep(0.0005)  # a request's other work, off the lock
        await asyncio.get_running_loop().run_in_executor(
            on_sqlite._serial_executor(), lambda: None
        )  # the checkpoints queued before this have run
        return threading.current_thread().name, ran_on

    loop_thread, ran_on = run(main)
    assert set(ran_on) == {loop_thread}
    assert 40 <= len(made_on) <= 50, made_on
    assert all(name.startswith("sqlite-serial") for name in made_on)
    wal = os.path.getsize(database_url.removeprefix("sqlite:///") + "-wal")
    assert wal < 256 * 1024, wal  # 400 writes of two pages without a restart: over 3 MB
    with on_sqlite._at_once_engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 0


def test_write_lock_hands_over_to_a_waiting_loop_and_survives_a_closed_one() -> None:
    """A release gives the lock to the first loop waiting (threads would otherwise win it
    back before the loop runs); a waiter whose loop has gone is skipped."""
    lock = db_module.WriteLock()
    lock.__enter__()

    def abandon() -> None:  # in a thread: the main thread may run a loop (Playwright)
        gone = asyncio.new_event_loop()
        cancelled = gone.create_task(lock.acquire_async())
        gone.create_task(lock.acquire_async())  # left waiting
        gone.run_until_complete(asyncio.sleep(0))  # both wait now
        cancelled.cancel()
        gone.run_until_complete(asyncio.gather(cancelled, return_exceptions=True))
        gone.close()  # the other still waits, on a loop that is gone

    with ThreadPoolExecutor(1) as pool:
        pool.submit(abandon).result()

    async def main() -> bool:
        waiter = asyncio.ensure_future(lock.acquire_async())
        await asyncio.sleep(0)
        threading.Timer(0.02, lock.release).start()
        await waiter
        held = lock.locked()  # handed over, never let go
        lock.release()
        return held

    assert run(main) is True
    assert not lock.locked()


def test_sqlite_with_synchronous_full_never_writes_on_the_event_loop(
    on_sqlite: Database, database_url: str
) -> None:
    """With `synchronous=FULL` every commit syncs the disk: not on the event loop."""
    database = Database(
        Settings(database_url=database_url, environment="test", sqlite_synchronous="FULL")
    )
    try:

        async def main() -> list[str]:
            return [await database.write(_rename(f"synced {n}")) for n in range(3)]

        ran_on = run(main)
    finally:
        database.dispose()
    assert all(name.startswith("sqlite-serial") for name in ran_on)


def test_postgres_marks_the_chain_lock_for_one_transaction_only(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("PostgreSQL only: the event chain's advisory lock")
    with database.write_connection() as conn:
        assert conn.info.get(CHAIN_LOCKED)
        info = conn.info
    assert not info.get(CHAIN_LOCKED)
    with database.engine.connect() as conn:
        locks = conn.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        ).scalar()
    assert locks == 0


def test_routes_that_read_their_body_do_so_before_the_session_opens(app: Any) -> None:
    """A slow upload must not hold the write lock: `BodyFirst` comes before any dependency
    that opens the request's session, and every route reading a multipart body uses it."""
    from fastapi.dependencies.models import Dependant
    from fastapi.routing import APIRoute

    from donations.db import get_session, read_body_first

    def uses(dependant: Dependant, call: Any) -> bool:
        return dependant.call is call or any(uses(d, call) for d in dependant.dependencies)

    def walk(routes: Any) -> Iterator[APIRoute]:
        for route in routes:
            original = getattr(route, "original_router", None)  # an included router
            if original is not None:
                yield from walk(original.routes)
            elif isinstance(route, APIRoute):
                yield route

    routes = list(walk(app.routes))
    assert len(routes) > 50
    readers = [r for r in routes if uses(r.dependant, read_body_first)]
    assert {r.name for r in readers} >= {"api:pledges:add_items", "pledges:import"}
    for route in readers:
        calls = route.dependant.dependencies
        first_session = next(n for n, d in enumerate(calls) if uses(d, get_session))
        body = next(n for n, d in enumerate(calls) if d.call is read_body_first)
        assert body < first_session, route.name
