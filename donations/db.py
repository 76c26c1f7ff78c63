"""Database layer: declarative base, engine set-up for SQLite and PostgreSQL, sessions.

One session per request, committed once by the request's dependency before the response
goes out (see `get_session`). Services and repositories only add and flush. The recipients'
scan, the hot path, instead runs its whole write transaction in one call off the event loop
(`Database.transaction` through `Database.run_serialised`), so that the write lock is never held
while the request waits for the event loop.

SQLite runs in WAL mode. A request that may write (any method but GET/HEAD/OPTIONS) opens
its transaction with ``BEGIN IMMEDIATE``, so concurrent writers queue on the database lock
(``busy_timeout``) instead of failing when a read transaction tries to upgrade. On
PostgreSQL the services lock the rows they change with ``SELECT ... FOR UPDATE`` (a no-op on
SQLite, where the write lock is already exclusive).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator
from starlette.concurrency import run_in_threadpool

from donations.clock import as_utc
from donations.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

T = TypeVar("T")

CHAIN_LOCK_KEY = 7_236_411_053  # the event hash chain's advisory lock (PostgreSQL)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def _configure_sqlite(engine: Engine, settings: Settings) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own is lazy).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={settings.sqlite_synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(settings: Settings, url: str | None = None) -> Engine:
    url = url or settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.sqlite_busy_timeout_ms / 1000,
            },
        )
        _configure_sqlite(engine, settings)
        return engine
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
    )


CHAIN_LOCKED = "donations.chain_locked"  # session.info: this transaction holds the lock


def lock_event_chain(session: Session) -> None:
    """PostgreSQL: take the event chain's lock for the session's transaction, once (it is
    released at commit or rollback, which clear the mark: donations.events.chain)."""
    if not session.info.get(CHAIN_LOCKED):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_KEY})
        session.info[CHAIN_LOCKED] = True


class Database:
    """The engine and session factory of one app process."""

    def __init__(self, settings: Settings, url: str | None = None) -> None:
        self.settings = settings
        self.engine = make_engine(settings, url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        # SQLite has one writer at a time. Writers of this process queue on this lock, in
        # order, rather than in SQLite's busy handler, which sleeps and retries and so lets
        # an unlucky request wait for seconds under load. Other processes still queue on
        # SQLite's lock (busy_timeout).
        self.write_lock: AbstractContextManager[Any] = (
            threading.Lock() if self.is_sqlite else nullcontext()
        )
        # The hot path's database work (`run_serialised`) runs on one thread, in the order it
        # arrives: SQLite has one writer anyway, and one thread served in order neither hands
        # the write lock and the GIL back and forth between threadpool workers nor lets a
        # scan wait behind later ones, so the slowest scan stays close to the typical one.
        # Made when first needed and dropped by `dispose`: an app may start and stop more
        # than once in a process (tests do), and a shut-down executor cannot be restarted.
        self._serial: ThreadPoolExecutor | None = None
        self._serial_guard = threading.Lock()

    def session(self, *, write: bool = True) -> Session:
        """A new session; `write` opens a SQLite transaction that holds the write lock."""
        session = self._sessions()
        if write and self.is_sqlite:
            session.connection(execution_options={"sqlite_immediate": True})
        elif write:
            # Every write appends to the event hash chain, which has one order: take its lock
            # before any row lock (see donations.events.chain), so writers never deadlock.
            lock_event_chain(session)
        return session

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session whose work is committed at the end of the block (rolled back if it
        raises). A write transaction holds this process's write lock throughout, so keep
        it to the database work: no awaiting, no network, inside."""
        with self.write_lock if write else nullcontext():
            session = self.session(write=write)
            try:
                yield session
                session.commit()
            except BaseException:
                # Detach what was loaded first, so an error page can still show the signed-in
                # user as loaded (a rollback would expire them), then undo everything.
                session.expunge_all()
                session.rollback()
                raise
            finally:
                session.close()

    async def run_serialised(self, work: Callable[..., T], *args: Any) -> T:
        """Run `work(*args)` (whole transactions: `with self.transaction()`) off the event
        loop: on SQLite on this process's database thread, in arrival order; on PostgreSQL,
        which has many writers, in the threadpool."""
        if not self.is_sqlite:
            return await run_in_threadpool(work, *args)
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._serial_executor(), context.run, work, *args)

    def _serial_executor(self) -> ThreadPoolExecutor:
        with self._serial_guard:
            if self._serial is None:
                self._serial = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-serial")
            return self._serial

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close the connections. Work queued for the database thread and not yet started is
        cancelled (its request fails); the work in progress finishes on its own, without
        this call (run on the event loop at shutdown) waiting for it."""
        with self._serial_guard:
            serial, self._serial = self._serial, None
        if serial is not None:
            serial.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_session(request: Request) -> Iterator[Session]:
    """The request's session, committed when the handler returns, before the response."""
    database = get_database(request)
    with database.transaction(write=request.method not in SAFE_METHODS) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
