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
import logging
import sqlite3
import threading
from collections import deque
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
from donations.errors import PayloadTooLarge
from donations.i18n import gettext as _

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

T = TypeVar("T")
log = logging.getLogger(__name__)

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
    """SQLite: when this process checkpoints the WAL, so that the event loop, where scans
    run (`Database.write`), never waits for the disk.

    A checkpoint copies the WAL into the database file and syncs both, and the first write
    after a complete one starts the WAL over and syncs its header. SQLite's automatic
    checkpoint would do the first in whichever connection commits the 1,000th page, the
    event loop's included, and leave the second to whoever writes next. So this process's
    connections do not checkpoint on their own (`wal_autocheckpoint=0`). Every
    CHECKPOINT_EVERY write transactions a thread does both, holding this process's write
    lock (`make`): a writer on a thread just before it begins, or for the event loop's
    writes a job on the database thread. The process's first write goes the
    same way (`Database.start`), since it may create the WAL.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """As at start: a checkpoint is due and none is under way."""
        with self._guard:
            self.writes = CHECKPOINT_EVERY
            self.pending = False

    @property
    def due(self) -> bool:
        return self.writes >= CHECKPOINT_EVERY

    def counted(self) -> None:
        self.writes += 1  # by writers holding the process's write lock

    def take(self) -> bool:
        """True for the one caller that should have a checkpoint made, until it is done."""
        with self._guard:
            if self.pending or not self.due:
                return False
            self.pending = True
            return True

    def make(self, dbapi_connection: Any) -> None:
        """Make the checkpoint `take` gave the caller, holding the write lock, outside a
        transaction; a failure leaves it due."""
        made = False
        try:
            _checkpoint(dbapi_connection)
            made = True
        finally:
            self.finish(made=made)

    def finish(self, *, made: bool) -> None:
        """The checkpoint taken is over: made, or failed (then it is still due)."""
        with self._guard:
            if made:
                self.writes = 0
            self.pending = False


class WriteLock:
    """SQLite: this process's write lock (a `threading.Lock` for threads), which an event
    loop takes without blocking (`acquire_async`). A release hands the lock straight to
    the first loop waiting, if any, rather than letting it go: a loop woken to try again
    would mostly lose to threads, which the system wakes sooner."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()
        self._guard = threading.Lock()

    def release(self) -> None:
        with self._guard:
            while self._waiting:
                loop, future = self._waiting.popleft()
                try:
                    loop.call_soon_threadsafe(self._hand_over, future)
                except RuntimeError:  # that loop is closed: its waiter is gone
                    continue
                return  # the lock is that waiter's now
            self._lock.release()

    def _hand_over(self, future: asyncio.Future[None]) -> None:
        if future.done():  # its task was cancelled meanwhile: pass the lock on
            self.release()
        else:
            future.set_result(None)

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    async def acquire_async(self) -> None:
        """Take the lock; while another holds it, wait without blocking the event loop."""
        if self._lock.acquire(blocking=False):
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._guard:
            if self._lock.acquire(blocking=False):  # released meanwhile
                return
            self._waiting.append((loop, future))
        try:
            await future
        except asyncio.CancelledError:
            with self._guard:
                handed = future.done() and not future.cancelled()
                if (loop, future) in self._waiting:
                    self._waiting.remove((loop, future))
            if handed:
                self.release()
            raise

    def locked(self) -> bool:
        return self._lock.locked()


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
            if waits and checkpoints.take():  # a thread, holding the write lock
                checkpoints.make(conn.connection.dbapi_connection)
            checkpoints.counted()
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def _checkpoint(dbapi_connection: Any) -> None:
    """Checkpoint the WAL, then write first after it: rewriting `user_version` as it is
    writes one page, which starts the WAL over (and syncs its header) here rather than in
    the next writer. On the driver's connection, outside a transaction, holding the
    process's write lock."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        version = int(cursor.execute("PRAGMA user_version").fetchone()[0])
        cursor.execute("BEGIN IMMEDIATE")
        try:
            cursor.execute(f"PRAGMA user_version = {version}")
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
    finally:
        cursor.close()


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
        _forget_chain_lock(engine)  # the chain's lock is PostgreSQL's
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
        the event loop, but never waits there. While another thread of the process holds
        the write lock (an import, a page's change), the request awaits it without blocking
        the loop (`WriteLock.acquire_async`). While another process holds SQLite's lock
        (that connection's busy timeout is 0), it goes to this process's database thread,
        which waits its turn as any writer does. Nor does the loop wait for the disk: WAL
        checkpoints, which sync, are made on that thread (`WalCheckpoints`), and with
        `synchronous=FULL`, where every commit syncs, every write goes there. Either way
        the work runs whole, without returning to the event loop in between."""
        if not self.is_sqlite:
            return await run_in_threadpool(self._write, work, lock_chain)
        if self._writes_at_once:
            await self._sqlite_lock.acquire_async()
            done, result = self._write_at_once(work)
            if done:
                if self.checkpoints.take():
                    self._checkpoint_later()
                return result  # type: ignore[return-value]
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._serial_executor(), context.run, self._write, work, lock_chain
        )

    def _write(self, work: Callable[[Connection], T], lock_chain: bool) -> T:
        with self.write_connection(lock_chain=lock_chain) as conn:
            return work(conn)

    def _write_at_once(self, work: Callable[[Connection], T]) -> tuple[bool, T | None]:
        """SQLite, holding this process's write lock (released here): (True, what `work`
        returned), or (False, None) if SQLite's lock is held by another process."""
        try:
            with self._at_once_engine().connect() as conn:
                conn.execution_options(sqlite_immediate=True)
                try:
                    transaction = conn.begin()
                except OperationalError as exc:
                    if _is_busy(exc):
                        return False, None
                    raise
                with transaction:
                    return True, work(conn)
        finally:
            self._sqlite_lock.release()

    async def start(self) -> None:
        """Before serving: on SQLite, checkpoint on the database thread, which creates the
        WAL or starts it over there, so that the first scan on the event loop does not."""
        if self.is_sqlite:
            self.checkpoints.reset()
            if self.checkpoints.take():
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(self._serial_executor(), self._checkpoint_taken)

    def _checkpoint_later(self) -> None:
        try:
            self._serial_executor().submit(self._checkpoint_taken)
        except RuntimeError:  # shutting down
            self.checkpoints.finish(made=False)

    def _checkpoint_taken(self) -> None:
        """The checkpoint `WalCheckpoints.take` gave us, on this thread (never the event
        loop), holding the write lock; a failure is logged and leaves it due."""
        try:
            with self.write_lock, self.engine.connect() as conn:
                self.checkpoints.make(conn.connection.dbapi_connection)
        except Exception:  # noqa: BLE001 - the next write will try again
            log.exception("WAL checkpoint failed")
            self.checkpoints.finish(made=False)  # if it failed before `make`

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
        self.checkpoints.reset()
        self.engine.dispose()


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


async def read_body_first(request: Request) -> None:
    """For a route that reads its own body and takes the request's session: declared
    before the session (`BodyFirst`), it reads the whole body first, so that waiting for a
    slow upload (a satellite link) never holds the write lock; Starlette keeps what it read
    for the route. A multipart body declared larger than the upload limit is refused
    unread."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        await request.form()  # as the pages' CSRF check reads it (the same, kept)
    elif content_type.startswith("multipart/form-data"):
        limit = request.app.state.settings.max_upload_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
            raise PayloadTooLarge(
                _("larger than the limit of {size} KiB").format(size=limit // 1024), field="file"
            )
        await request.form(max_files=1, max_fields=5)
    else:
        await request.body()


BodyFirst = Annotated[None, Depends(read_body_first)]
