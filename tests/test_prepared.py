"""Prepared statements (donations.prepared): the SQL and the type conversions are
SQLAlchemy's, on SQLite and on PostgreSQL alike, and driver errors are SQLAlchemy's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, IntegrityError, InvalidRequestError

from donations.db import Database
from donations.events import chain
from donations.models import Event, Organisation
from donations.prepared import Prepared

INSERT_EVENT = Prepared(insert(Event), columns=(*chain.FIELDS, "hash"))
EVENT_BY_KIND = Prepared(
    select(Event.id, Event.at, Event.data, Event.client_key)
    .where(Event.kind == bindparam("kind"))
    .order_by(Event.id)
    .limit(1)
)


def _event(**values: object) -> dict[str, object]:
    row: dict[str, object] = {name: None for name in (*chain.FIELDS, "hash")}
    row |= {"at": datetime(2026, 11, 28, 9, 30, tzinfo=UTC), "source": "cli", "data": {}}
    return row | values


def test_compiles_once_per_dialect_with_its_paramstyle_and_locks() -> None:
    locked = Prepared(
        select(Organisation.id)
        .where(Organisation.code == bindparam("code"))
        .with_for_update(key_share=True)
    )
    assert locked.sql(sqlite.dialect()).rstrip().endswith("WHERE organisations.code = ?")
    on_postgres = locked.sql(postgresql.psycopg.dialect())
    assert "%(code)s" in on_postgres
    assert on_postgres.rstrip().endswith("FOR NO KEY UPDATE")


def test_a_row_goes_in_and_comes_out_as_the_orm_writes_and_reads_it(db: Database) -> None:
    at = datetime(2026, 11, 28, 21, 30, tzinfo=timezone(timedelta(hours=12)))  # Tonga
    with db.write_connection() as conn:
        INSERT_EVENT.run(
            conn, **_event(kind="test.prepared", at=at, data={"note": "ā", "n": 2}, hash="h1")
        )
        event_id, read_at, data, client_key = EVENT_BY_KIND.first(conn, kind="test.prepared")  # type: ignore[misc]
    assert read_at == at and read_at.tzinfo is not None  # stored in UTC, read back aware
    assert data == {"note": "ā", "n": 2}
    assert client_key is None
    with db.session(write=False) as session:
        event = session.get(Event, event_id)
        assert event is not None
        assert event.at == at
        assert event.data == {"note": "ā", "n": 2}


def test_first_and_scalar_answer_none_without_a_row(db: Database) -> None:
    with db.write_connection() as conn:
        assert EVENT_BY_KIND.first(conn, kind="nothing.like.this") is None
        assert EVENT_BY_KIND.scalar(conn, kind="nothing.like.this") is None


def test_run_answers_the_rows_changed(db: Database) -> None:
    rename = Prepared(
        update(Organisation).where(Organisation.code == bindparam("code_was")), columns=["name"]
    )
    with db.write_connection() as conn:
        assert rename.run(conn, code_was="NOPE", name="x") == 0


def test_a_missing_parameter_is_an_error_not_a_null(db: Database) -> None:
    with db.write_connection() as conn, pytest.raises(ArgumentError, match="'kind'"):
        EVENT_BY_KIND.first(conn)


def test_a_driver_error_is_sqlalchemys_and_the_transaction_rolls_back(db: Database) -> None:
    with pytest.raises(IntegrityError), db.write_connection() as conn:
        INSERT_EVENT.run(conn, **_event(kind="test.duplicate", hash="same"))
        INSERT_EVENT.run(conn, **_event(kind="test.duplicate", hash="same"))  # hash is unique
    with db.write_connection() as conn:
        assert EVENT_BY_KIND.first(conn, kind="test.duplicate") is None


def test_what_it_would_silently_get_wrong_is_refused() -> None:
    dialect = sqlite.dialect()
    without_data = Prepared(insert(Event), columns=["kind", "source"])  # `data` has a default
    with pytest.raises(ArgumentError, match="default"):
        without_data.sql(dialect)
    expanding = Prepared(select(Event.id).where(Event.kind.in_(bindparam("kinds", expanding=True))))
    with pytest.raises(ArgumentError, match="expanding"):
        expanding.sql(dialect)


def test_outside_a_transaction_is_refused(db: Database) -> None:
    with db.engine.connect() as conn, pytest.raises(InvalidRequestError):
        EVENT_BY_KIND.first(conn, kind="x")
