"""Database layer: declarative base, engine set-up for SQLite and PostgreSQL, sessions.

One session per request, committed once by the request's dependency before the response
goes out (see `get_session`). Services and repositories only add and flush. The recipients'
scan, the hot path, instead runs its whole write transaction, on a Core connection, in one
call that never returns to the event loop midway (`Database.write`), so that the write lock
is never held while the request waits for the event loop.

SQLite runs in WAL mode. A request that may write (any method but GET/HEAD/OPTIONS) opens
its transaction with ``BEGIN IMMEDIATE``, so concurrent writers queue on the database lock
(``busy_timeout``) instead of failing when a read transaction tries to upgrade. On
PostgreSQL the services lock the rows they change with ``SELECT ... FOR UPDATE`` (a no-op on
SQLite, where the write lock is already exclusive).
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
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
# SQLite: write transactions between two checkpoints of the WAL (`WalCheckpoints`). A scan
# writes about 15 pages; SQLite's own automatic checkpoint comes every 1,000.
CHECKPOINT_EVERY = 64
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


class WalCheckpoints:
    """SQLite: when this process checkpoints the WAL, so that the event loop never waits for
    the disk (`Database.write` runs scans on it).

    A checkpoint copies the WAL into the database file and syncs both, and the first write
    after a complete one starts the WAL over and syncs its header. SQLite's automatic
    checkpoint would do the first in whichever connection commits the 1,000th page, the
    event loop's included, and leave the second to whoever writes next. So this process's
    connections do not checkpoint on their own (`wal_autocheckpoint=0`): every
    CHECKPOINT_EVERY write transactions, the next writer that may wait (a thread, never the
    event loop: `claim` sends one scan there) checkpoints just before it begins, holding
    this process's write lock, and is then the first to write. The first write of the
    process goes the same way.
    """

    def __init__(self) -> None:
        self.writes = CHECKPOINT_EVERY
        self.claimed = False  # a write bound for a thread will checkpoint

    @property
    def due(self) -> bool:
        return self.writes >= CHECKPOINT_EVERY

    def claim(self) -> bool:
        """For the event loop: True for the one write that should go to a thread to
        checkpoint, until it has; the writes meanwhile may run on the loop."""
        if not self.due or self.claimed:
            return False
        self.claimed = True
        return True

    def before_write(self, conn: Connection, *, may_wait: bool) -> None:
        if may_wait and self.due:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            self.writes = 0
            self.claimed = False
        self.writes += 1


class WriteLock:
    """SQLite: this process's write lock (a `threading.Lock`), which an event loop can also
    wait for without blocking (`released`): every release wakes the loops waiting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._guard = threading.Lock()

    def acquire(self, blocking: bool = True) -> bool:
        return self._lock.acquire(blocking)

    def release(self) -> None:
        self._lock.release()
        with self._guard:
            waiting, self._waiting = self._waiting, []
        for loop, future in waiting:
            loop.call_soon_threadsafe(_wake, future)

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    async def released(self) -> None:
        """Return once the lock is free, or has been released since the call (another
        waiter may have taken it again: try, and wait again if need be)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._guard:
            self._waiting.append((loop, future))
        if not self._lock.locked():  # released before we were listening
            _wake(future)
        await future


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _configure_sqlite(
    engine: Engine, settings: Settings, checkpoints: WalCheckpoints, *, waits: bool
) -> None:
    """`waits=False`: connections that never wait for SQLite's write lock (busy timeout 0)
    and never checkpoint (`Database.write`'s connections on the event loop)."""
    busy_timeout_ms = int(settings.sqlite_busy_timeout_ms) if waits else 0

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own is lazy).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={settings.sqlite_synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA wal_autocheckpoint=0")  # WalCheckpoints does it
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("sqlite_immediate", False):
            checkpoints.before_write(conn, may_wait=waits)
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def make_engine(
    settings: Settings,
    url: str | None = None,
    *,
    checkpoints: WalCheckpoints | None = None,
    waits: bool = True,
) -> Engine:
    """`checkpoints`: SQLite, the process's WAL checkpoints (one per Database)."""
    url = url or settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            pool_size=settings.db_pool_size if waits else 1,
            max_overflow=settings.db_max_overflow,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.sqlite_busy_timeout_ms / 1000 if waits else 0,
            },
        )
        _configure_sqlite(engine, settings, checkpoints or WalCheckpoints(), waits=waits)
    else:
        engine = create_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_pre_ping=True,
        )
    _forget_chain_lock(engine)
    return engine


CHAIN_LOCKED = "donations.chain_locked"  # Connection.info: this transaction holds the lock
_LOCK_CHAIN = text("SELECT pg_advisory_xact_lock(:k)")


def lock_event_chain(conn: Connection) -> None:
    """PostgreSQL: take the event chain's lock for the connection's transaction, once (the
    mark is cleared when the transaction ends: `_forget_chain_lock`). SQLite: nothing (its
    write lock is already exclusive)."""
    if conn.dialect.name == "postgresql" and not conn.info.get(CHAIN_LOCKED):
        conn.execute(_LOCK_CHAIN, {"k": CHAIN_LOCK_KEY})
        conn.info[CHAIN_LOCKED] = True


def _forget_chain_lock(engine: Engine) -> None:
    """`Connection.info` follows the DBAPI connection back into the pool: the mark must end
    with the transaction, as the advisory lock does."""

    def forget(conn: Connection) -> None:
        conn.info.pop(CHAIN_LOCKED, None)

    event.listen(engine, "commit", forget)
    event.listen(engine, "rollback", forget)
    # A lock taken inside a savepoint ends with it; one taken before does not, but taking it
    # again is harmless (it is reentrant).
    event.listen(engine, "rollback_savepoint", lambda conn, name, context: forget(conn))
    event.listen(engine, "checkin", lambda dbapi_conn, record: record.info.pop(CHAIN_LOCKED, None))


class Database:
    """The engine and session factory of one app process."""

    def __init__(self, settings: Settings, url: str | None = None) -> None:
        self.settings = settings
        self.checkpoints = WalCheckpoints()
        self.engine = make_engine(settings, url, checkpoints=self.checkpoints)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        # SQLite has one writer at a time. Writers of this process queue on this lock, in
        # order, rather than in SQLite's busy handler, which sleeps and retries and so lets
        # an unlucky request wait for seconds under load. Other processes still queue on
        # SQLite's lock (busy_timeout).
        self._sqlite_lock = WriteLock()
        self.write_lock: AbstractContextManager[Any] = (
            self._sqlite_lock if self.is_sqlite else nullcontext()
        )
        # The hot path's writes that cannot run at once (`write`) run on one thread, in the
        # order they arrive: SQLite has one writer anyway, and one thread served in order
        # neither hands the write lock and the GIL back and forth between threadpool workers
        # nor lets a scan wait behind later ones, so the slowest scan stays close to the
        # typical one.
        # Made when first needed and dropped by `dispose`: an app may start and stop more
        # than once in a process (tests do), and a shut-down executor cannot be restarted.
        self._serial: ThreadPoolExecutor | None = None
        self._serial_guard = threading.Lock()
        # SQLite: the connections `write` uses on the event loop (made when first needed),
        # unless every commit syncs the disk (synchronous=FULL), which the loop must not wait for.
        self._at_once: Engine | None = None
        self._writes_at_once = self.is_sqlite and settings.sqlite_synchronous != "FULL"

    def session(self, *, write: bool = True) -> Session:
        """A new session; `write` opens a SQLite transaction that holds the write lock."""
        session = self._sessions()
        if write and self.is_sqlite:
            session.connection(execution_options={"sqlite_immediate": True})
        elif write:
            # Every write appends to the event hash chain, which has one order: take its lock
            # before any row lock (see donations.events.chain), so writers never deadlock.
            lock_event_chain(session.connection())
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

    @contextmanager
    def write_connection(self, *, lock_chain: bool = True) -> Iterator[Connection]:
        """A Core connection in a write transaction, committed at the end of the block (rolled
        back if it raises), for the hot path that does without the ORM (the recipients' scan):
        the same locks as a write session (this process's write lock and `BEGIN IMMEDIATE` on
        SQLite, the event chain's lock first on PostgreSQL). `lock_chain=False`: on
        PostgreSQL the block takes the chain's lock itself (`lock_event_chain`), after checks
        that lock no row and before its first row lock, so that a refused request neither
        waits for nor holds it."""
        with self.write_lock, self.engine.connect() as conn:
            if self.is_sqlite:
                conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                if lock_chain:
                    lock_event_chain(conn)
                yield conn

    async def write(self, work: Callable[[Connection], T], *, lock_chain: bool = True) -> T:
        """Run `work(conn)` in a write transaction (`write_connection`, with `lock_chain`),
        committed when it returns: for the hot path's short transactions (the scan).

        On PostgreSQL it runs in the threadpool (many writers, each over the network). On
        SQLite, where a scan's whole transaction costs less CPU than handing it to a thread
        and back (the two threads then contend for the GIL at every statement), it runs on
        the event loop, but never waits there: it runs when this process's write lock is
        free, and while another thread of the process holds it (an import, a page's write)
        the request awaits its release without blocking the loop. When SQLite's own lock is
        held by another process (that connection's busy timeout is 0), it goes to this
        process's database thread, which waits its turn as any writer does. Nor does the
        loop wait for the disk: the WAL checkpoint due every CHECKPOINT_EVERY writes, and
        the first write after it, which both sync, go to that thread (`WalCheckpoints`), and
        so does every write with `synchronous=FULL`, where every commit syncs. Either way
        the work runs whole, without returning to the event loop in between."""
        if not self.is_sqlite:
            return await run_in_threadpool(self._write, work, lock_chain)
        while self._writes_at_once and not self.checkpoints.claim():
            done, result = self._write_at_once(work)
            if done is True:
                return result  # type: ignore[return-value]
            if done is _BUSY:  # another process writes: wait for it on the thread
                break
            await self._sqlite_lock.released()  # another thread of this process writes
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._serial_executor(), context.run, self._write, work, lock_chain
        )

    def _write(self, work: Callable[[Connection], T], lock_chain: bool) -> T:
        with self.write_connection(lock_chain=lock_chain) as conn:
            return work(conn)

    def _write_at_once(self, work: Callable[[Connection], T]) -> tuple[object, T | None]:
        """SQLite: (True, what `work` returned) if it ran; (False, None) if this process's
        write lock is held, (_BUSY, None) if SQLite's is (another process)."""
        lock = self._sqlite_lock
        if not lock.acquire(blocking=False):
            return False, None
        try:
            with self._at_once_engine().connect() as conn:
                conn.execution_options(sqlite_immediate=True)
                try:
                    transaction = conn.begin()
                except OperationalError as exc:
                    if _is_busy(exc):
                        return _BUSY, None
                    raise
                with transaction:
                    return True, work(conn)
        finally:
            lock.release()

    def _at_once_engine(self) -> Engine:
        """Made when first needed, again after `dispose` (an app may start again)."""
        if self._at_once is None:
            self._at_once = make_engine(
                self.settings,
                self.engine.url.render_as_string(hide_password=False),
                checkpoints=self.checkpoints,
                waits=False,
            )
        return self._at_once

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
        if self._at_once is not None:
            self._at_once.dispose()
            self._at_once = None
        self.engine.dispose()


_BUSY = object()  # Database._write_at_once: SQLite's lock is held by another process


def _is_busy(exc: OperationalError) -> bool:
    """SQLite's "database is locked" (SQLITE_BUSY or one of its extended codes): another
    connection holds the lock."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_session(request: Request) -> Iterator[Session]:
    """The request's session, committed when the handler returns, before the response."""
    database = get_database(request)
    with database.transaction(write=request.method not in SAFE_METHODS) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
