"""Test fixtures: a migrated database per test, on SQLite or (when
DONATIONS_TEST_DATABASE_URL is set) PostgreSQL, and the app built on it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from donations import migrate
from donations.app import create_app
from donations.auth import passwords
from donations.config import Settings
from donations.db import Base, Database

PG_URL = os.environ.get("DONATIONS_TEST_DATABASE_URL") or None
REQUIRE_PG = os.environ.get("DONATIONS_TEST_REQUIRE_POSTGRES") == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres_only: needs DONATIONS_TEST_DATABASE_URL")
    config.addinivalue_line("markers", "slow: starts servers or processes")
    if REQUIRE_PG and not PG_URL:
        raise pytest.UsageError(
            "DONATIONS_TEST_REQUIRE_POSTGRES=1 but DONATIONS_TEST_DATABASE_URL is not set"
        )


_used_postgres = False


def pytest_sessionstart(session: pytest.Session) -> None:
    if not PG_URL:
        return
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            assert conn.dialect.name == "postgresql", f"{PG_URL} is not PostgreSQL"
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        pytest.exit(f"PostgreSQL at {PG_URL} is not usable: {exc}", returncode=3)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REQUIRE_PG and not _used_postgres and exitstatus == 0:
        session.exitstatus = 1
        print("\nDONATIONS_TEST_REQUIRE_POSTGRES=1 but no test used PostgreSQL")  # noqa: T201


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return f"database: PostgreSQL {PG_URL}"
    return "database: SQLite (set DONATIONS_TEST_DATABASE_URL for PostgreSQL)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="PostgreSQL only: set DONATIONS_TEST_DATABASE_URL")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Argon2 with minimal cost: the tests create many users; production keeps the defaults."""
    original = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = original


def _tables() -> list[str]:
    return [t.name for t in reversed(Base.metadata.sorted_tables)]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str | None]:
    """A PostgreSQL database of this test run's own (one per process, so runs never share
    one), created next to DONATIONS_TEST_DATABASE_URL and dropped at the end."""
    if not PG_URL:
        yield None
        return
    base = make_url(PG_URL)
    name = f"{base.database}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        pytest.exit(f"PostgreSQL at {PG_URL} is not usable: {exc}", returncode=3)
    url = base.set(database=name).render_as_string(hide_password=False)
    global _used_postgres
    _used_postgres = True
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory, pg_url: str | None) -> str:
    """A migrated database: a SQLite file to copy, or the PostgreSQL database itself."""
    if pg_url:
        database = Database(Settings(database_url=pg_url, environment="test"))
        migrate.upgrade(database.engine)
        database.dispose()
        return pg_url
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(Settings(database_url=f"sqlite:///{path}", environment="test"))
    migrate.upgrade(database.engine)
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return str(path)


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> str:
    """A fresh, migrated, empty database for one test."""
    if PG_URL:
        engine = create_engine(template_database)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(_tables())} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return template_database
    target = tmp_path / "test.db"
    shutil.copyfile(template_database, target)
    return f"sqlite:///{target}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        base_url="http://testserver",
        secret_key="test-secret-key-that-is-long-enough-000",
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.db.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture
def world(client: TestClient, db: Database) -> World:
    from tests.factories import build_world

    return build_world(client, db)


from tests.factories import World  # noqa: E402
