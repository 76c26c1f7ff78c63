"""The `donations` command line."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from donations import __main__ as cli
from donations.config import get_settings
from tests.conftest import PG_URL


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh SQLite file as DONATIONS_DATABASE_URL, as a newcomer's first run has."""
    path = tmp_path / "cli.db"
    monkeypatch.setenv("DONATIONS_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.delenv("DONATIONS_ENVIRONMENT", raising=False)
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


class TestDbUpgrade:
    def test_creates_the_schema_on_a_fresh_install(
        self, sqlite_env: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert cli.main(["db", "upgrade"]) == 0
        assert "database at revision" in capsys.readouterr().out
        assert count(sqlite_env, "organisations") == 0


class TestCreateUser:
    def test_creates_a_coordinator_on_a_fresh_install(
        self, sqlite_env: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert (
            cli.main(
                ["create-user", "admin", "--role", "coordinator", "--password", "a long passphrase"]
            )
            == 0
        )
        assert "created coordinator admin" in capsys.readouterr().out
        assert count(sqlite_env, "users") == 1

    def test_prompts_for_the_password(
        self, sqlite_env: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        answers = iter(["a long passphrase", "a long passphrase"])
        monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
        assert cli.main(["create-user", "admin", "--role", "coordinator"]) == 0
        assert count(sqlite_env, "users") == 1

    def test_refuses_differing_passwords(
        self, sqlite_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        answers = iter(["a long passphrase", "another passphrase"])
        monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
        assert cli.main(["create-user", "admin", "--role", "coordinator"]) == 2
        assert "differ" in capsys.readouterr().err

    def test_names_the_bad_field(
        self, sqlite_env: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert (
            cli.main(["create-user", "admin", "--role", "coordinator", "--password", "short"]) == 2
        )
        assert "password" in capsys.readouterr().err
        assert (
            cli.main(
                [
                    "create-user",
                    "tonga",
                    "--role",
                    "recipient",
                    "--organisation",
                    "NOPE",
                    "--password",
                    "a long passphrase",
                ]
            )
            == 2
        )
        assert "organisation" in capsys.readouterr().err
        assert count(sqlite_env, "users") == 0


class TestDemo:
    def test_loads_once_and_prints_the_users(
        self, sqlite_env: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert cli.main(["demo"]) == 0
        out = capsys.readouterr().out
        assert "Loaded the demo programme" in out and "tonga" in out
        events = count(sqlite_env, "events")
        assert cli.main(["demo"]) == 0
        assert "already has data" in capsys.readouterr().out
        assert count(sqlite_env, "events") == events

    def test_refused_in_production(self, sqlite_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DONATIONS_ENVIRONMENT", "production")
        monkeypatch.setenv("DONATIONS_SECRET_KEY", "x" * 40)
        get_settings.cache_clear()
        assert cli.main(["demo"]) == 2


class TestSettings:
    def test_production_refuses_the_placeholder_secret(
        self, sqlite_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("DONATIONS_ENVIRONMENT", "production")
        get_settings.cache_clear()
        assert cli.main(["db", "upgrade"]) == 2
        assert "DONATIONS_SECRET_KEY" in capsys.readouterr().err


class TestBackup:
    def test_backup_and_restore_sqlite(
        self, sqlite_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert cli.main(["demo"]) == 0
        items = count(sqlite_env, "items")
        target = tmp_path / "backup.db"
        assert cli.main(["backup", str(target)]) == 0
        assert "integrity check ok" in capsys.readouterr().out
        assert count(target, "items") == items
        conn = sqlite3.connect(sqlite_env)  # damage after the backup
        with conn:
            conn.execute("DROP TRIGGER events_no_delete")
            conn.execute("DELETE FROM events")
        conn.close()
        assert count(sqlite_env, "events") == 0
        assert cli.main(["restore", str(target)]) == 0
        assert count(sqlite_env, "events") > 0
        assert count(sqlite_env, "items") == items

    def test_refuses_to_overwrite(self, sqlite_env: Path, tmp_path: Path) -> None:
        assert cli.main(["db", "upgrade"]) == 0
        target = tmp_path / "exists.db"
        target.write_text("keep me")
        assert cli.main(["backup", str(target)]) == 2
        assert target.read_text() == "keep me"

    @pytest.mark.postgres_only
    def test_backup_postgresql_with_pg_dump(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
    ) -> None:
        import shutil

        if shutil.which("pg_dump") is None:
            pytest.skip("pg_dump is not installed")
        monkeypatch.setenv("DONATIONS_DATABASE_URL", database_url)
        get_settings.cache_clear()
        target = tmp_path / "dump.pgc"
        try:
            assert cli.main(["backup", str(target)]) == 0
        finally:
            get_settings.cache_clear()
        assert target.stat().st_size > 0
        assert PG_URL is not None
