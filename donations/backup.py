"""Backups: SQLite's online backup API (consistent while the app runs), and for PostgreSQL
the `pg_dump` procedure (custom format), run for you when `pg_dump` is installed."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import make_url

from donations.config import Settings


class BackupError(Exception):
    pass


def sqlite_path(settings: Settings) -> Path:
    url = make_url(settings.database_url)
    if not url.database or url.database == ":memory:":
        raise BackupError("the SQLite database is in memory; nothing to back up")
    return Path(url.database)


def backup(settings: Settings, target: Path) -> str:
    """Write a consistent copy of the database to `target`; returns what was done."""
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name")
    if settings.is_sqlite:
        return _backup_sqlite(sqlite_path(settings), target)
    return _backup_postgresql(settings, target)


def _backup_sqlite(source: Path, target: Path) -> str:
    if not source.exists():
        raise BackupError(f"no database at {source}")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst, pages=1024)  # copies in steps; writers are not blocked for long
        _check_sqlite(dst)
    finally:
        dst.close()
        src.close()
    return f"SQLite online backup of {source} written to {target} (integrity check ok)"


def _check_sqlite(conn: sqlite3.Connection) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"integrity check failed: {result}")


def restore(settings: Settings, source: Path) -> str:
    """Replace the SQLite database with a backup (stop the app first)."""
    if not settings.is_sqlite:
        raise BackupError(
            "restore a PostgreSQL dump with: pg_restore --clean --if-exists --no-owner "
            f"-d DATABASE_URL {source}"
        )
    check = sqlite3.connect(source)
    try:
        _check_sqlite(check)
    finally:
        check.close()
    target = sqlite_path(settings)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return f"{target} restored from {source}"


def _backup_postgresql(settings: Settings, target: Path) -> str:
    url = make_url(settings.database_url).set(drivername="postgresql")
    dump = shutil.which("pg_dump")
    command = ["pg_dump", "--format=custom", f"--file={target}", url.render_as_string(False)]
    if dump is None:
        raise BackupError(
            "pg_dump is not installed here. On a machine with the PostgreSQL client run:\n  "
            + " ".join(command[:-1])
            + " 'postgresql://USER:PASSWORD@HOST:PORT/DB'"
        )
    subprocess.run([dump, *command[1:]], check=True)
    return f"pg_dump (custom format) written to {target}; restore with pg_restore"
