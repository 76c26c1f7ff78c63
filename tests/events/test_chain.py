"""The tamper-evident hash chain of events and `donations verify-events`."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from donations import __main__ as cli
from donations.config import get_settings
from donations.db import Database
from donations.events import chain
from tests.factories import World, shipped


def verify(db: Database) -> tuple[int, chain.Broken | None, str]:
    with db.session(write=False) as session:
        return chain.verify(session)


def behind_the_apps_back(db: Database, statement: str) -> None:
    """Change the record as someone with database access could (the trigger disabled)."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER events_no_update"))
            conn.execute(text("DROP TRIGGER events_no_delete"))
        else:
            conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_append_only"))
        conn.execute(text(statement))
        if not db.is_sqlite:
            conn.execute(text("ALTER TABLE events ENABLE TRIGGER events_append_only"))


class TestChain:
    def test_every_write_extends_an_intact_chain(self, world: World, db: Database) -> None:
        shipped(world, quantity=6, packed=4)
        checked, broken, head = verify(db)
        assert broken is None
        with db.engine.connect() as conn:
            assert checked == conn.execute(text("SELECT count(*) FROM events")).scalar()
            last = conn.execute(text("SELECT hash FROM events ORDER BY id DESC LIMIT 1")).scalar()
        assert head == last

    def test_an_edited_event_is_named(self, world: World, db: Database) -> None:
        shipped(world, quantity=6, packed=4)
        with db.engine.connect() as conn:
            target = conn.execute(
                text("SELECT id FROM events WHERE kind = 'item.dispatched' ORDER BY id LIMIT 1")
            ).scalar()
        behind_the_apps_back(db, f"UPDATE events SET source = 'web' WHERE id = {target}")
        checked, broken, _ = verify(db)
        assert broken is not None and broken.event_id == target
        assert "content does not match" in broken.reason

    def test_a_deleted_event_is_named_by_its_successor(self, world: World, db: Database) -> None:
        shipped(world, quantity=6, packed=4)
        with db.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM events ORDER BY id"))]
        behind_the_apps_back(db, f"DELETE FROM events WHERE id = {ids[5]}")
        _, broken, _ = verify(db)
        assert broken is not None and broken.event_id == ids[6]
        assert "link" in broken.reason

    def test_a_rehashed_edit_still_breaks_the_next_link(self, world: World, db: Database) -> None:
        shipped(world, quantity=6, packed=4)
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 3")).scalar()
        behind_the_apps_back(db, f"UPDATE events SET hash = '{'f' * 64}' WHERE id = {row}")
        _, broken, _ = verify(db)
        assert broken is not None and broken.event_id in (row, row + 1)


class TestVerifyCommand:
    def test_says_intact_and_prints_the_head(
        self,
        world: World,
        db: Database,
        database_url: str,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        shipped(world, quantity=3, packed=2)
        monkeypatch.setenv("DONATIONS_DATABASE_URL", database_url)
        get_settings.cache_clear()
        try:
            assert cli.main(["verify-events"]) == 0
            out = capsys.readouterr().out
            assert "the chain is intact" in out and "head:" in out
            behind_the_apps_back(db, "UPDATE events SET kind = 'forged' WHERE id = 2")
            assert cli.main(["verify-events"]) == 1
            assert "BROKEN at event 2" in capsys.readouterr().out
        finally:
            get_settings.cache_clear()


class TestMigration:
    def test_events_written_before_the_chain_are_chained_by_the_migration(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        from donations import migrate
        from donations.config import Settings

        db = Database(Settings(database_url=f"sqlite:///{tmp_path}/old.db", environment="test"))
        migrate.upgrade(db.engine, "0004")
        with db.engine.begin() as conn:
            for n in range(3):
                conn.execute(
                    text(
                        "INSERT INTO events (at, kind, source, data) "
                        f"VALUES ('2026-01-0{n + 1} 10:00:00.000000', 'organisation.created', 'cli', '{{\"n\": {n}}}')"
                    )
                )
        migrate.upgrade(db.engine)
        checked, broken, _ = verify(db)
        assert (checked, broken) == (3, None)
        with db.engine.connect() as conn, pytest.raises(Exception, match="append-only"):
            conn.execute(text("DELETE FROM events"))
        db.dispose()
