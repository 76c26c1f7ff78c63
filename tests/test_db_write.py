"""`Database.write`, the hot path's write transaction: on SQLite it runs at once on the event
loop when no lock is held, and otherwise waits its turn on the database thread, without the
event loop ever waiting; on PostgreSQL it runs in the threadpool."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, bindparam, select, text, update

from donations import db as db_module
from donations.config import Settings
from donations.db import CHAIN_LOCKED, Database
from donations.models import Organisation
from donations.prepared import Prepared

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
    with database.engine.connect() as conn:
        return str(NAME.scalar(conn, code="TOPOST"))


def test_commits_what_the_work_wrote(database: Database) -> None:
    asyncio.run(database.write(_rename("Tonga Post Ltd")))
    assert _name(database) == "Tonga Post Ltd"


def test_rolls_back_when_the_work_raises(database: Database) -> None:
    def fails(conn: Connection) -> None:
        RENAME.run(conn, code="TOPOST", name="half done")
        raise LookupError("refused")

    with pytest.raises(LookupError):
        asyncio.run(database.write(fails))
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

    loop_thread, ran_on = asyncio.run(main())
    assert ran_on == loop_thread
    assert _name(on_sqlite) == "at once"


def test_sqlite_waits_on_the_database_thread_while_this_process_writes(
    on_sqlite: Database,
) -> None:
    """A long write of this process (an import) holds the write lock: the scan queues on the
    database thread, and the event loop goes on serving meanwhile."""
    on_sqlite.write_lock.__enter__()
    try:

        async def main() -> tuple[str, int]:
            scan = asyncio.ensure_future(on_sqlite.write(_rename("after the import")))
            ticks = 0
            while not scan.done() and ticks < 5:  # the loop is free while the scan waits
                await asyncio.sleep(0.01)
                ticks += 1
            assert not scan.done()
            threading.Timer(0.05, on_sqlite.write_lock.__exit__, (None, None, None)).start()
            return await scan, ticks

        ran_on, ticks = asyncio.run(main())
    except BaseException:
        on_sqlite.write_lock.__exit__(None, None, None)
        raise
    assert ticks == 5
    assert ran_on.startswith("sqlite-serial")
    assert _name(on_sqlite) == "after the import"


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

        ran_on = asyncio.run(main())
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    assert ran_on.startswith("sqlite-serial")
    assert _name(on_sqlite) == "after the other process"


def test_sqlite_checkpoints_on_the_database_thread(
    on_sqlite: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event loop's connection never checkpoints the WAL itself (a checkpoint syncs the
    disk); the database thread does, every CHECKPOINT_EVERY writes made at once."""
    checkpoints: list[str] = []
    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY", 3)
    monkeypatch.setattr(
        on_sqlite, "checkpoint", lambda: checkpoints.append(threading.current_thread().name)
    )

    async def main() -> None:
        for n in range(7):
            await on_sqlite.write(_rename(f"name {n}"))
        await asyncio.get_running_loop().run_in_executor(
            on_sqlite._serial_executor(), lambda: None
        )  # what was queued before has run

    asyncio.run(main())
    assert len(checkpoints) == 2
    assert all(name.startswith("sqlite-serial") for name in checkpoints)
    with on_sqlite._at_once_engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 0
    monkeypatch.undo()
    on_sqlite.checkpoint()  # the real one runs on the live database


def test_sqlite_with_synchronous_full_never_writes_on_the_event_loop(
    on_sqlite: Database, database_url: str
) -> None:
    """With `synchronous=FULL` every commit syncs the disk: not on the event loop."""
    database = Database(
        Settings(database_url=database_url, environment="test", sqlite_synchronous="FULL")
    )
    try:

        async def main() -> tuple[str, str]:
            return threading.current_thread().name, await database.write(_rename("synced"))

        loop_thread, ran_on = asyncio.run(main())
    finally:
        database.dispose()
    assert ran_on != loop_thread
    assert ran_on.startswith("sqlite-serial")


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
