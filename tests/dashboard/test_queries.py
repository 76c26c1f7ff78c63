"""The dashboard's cost in SQL statements does not grow with the data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from donations.dashboard import synthetic
from donations.db import Database
from donations.models import Event, Item, Shipment
from tests.dashboard.helpers import demo_coordinator

EVENTS = {"HX-Request": "true", "HX-Target": "latest-events"}


@contextmanager
def counting(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def statements_for(client: TestClient, database: Database, **kw: Any) -> list[str]:
    client.get("/dashboard", **kw)  # warm: nothing cached on the first request is counted
    with counting(database) as statements:
        answer = client.get("/dashboard", **kw)
    assert answer.status_code == 200
    return statements


def sizes(database: Database) -> tuple[int, int, int]:
    with database.session(write=False) as session:
        return (
            session.scalar(select(func.count(Item.id))) or 0,
            session.scalar(select(func.count(Shipment.id))) or 0,
            session.scalar(select(func.count(Event.id))) or 0,
        )


class TestStatementCount:
    def test_same_small_number_of_statements_whatever_the_size(
        self, app: FastAPI, db: Database
    ) -> None:
        client = demo_coordinator(app)
        small = statements_for(client, db)
        small_events = statements_for(client, db, headers=EVENTS)
        before = sizes(db)

        synthetic.build(db.engine, items=3_000, seed=11)
        after = sizes(db)
        assert after[0] >= before[0] + 3_000 and after[1] > before[1] + 50
        large = statements_for(client, db)
        large_events = statements_for(client, db, headers=EVENTS)

        assert len(large) == len(small), "\n".join(large)
        assert len(large_events) == len(small_events)
        # The session's user, six pipeline aggregates, organisations, overdue, routes,
        # events (plus the transaction's BEGIN on SQLite).
        assert len(small) <= 12, "\n".join(small)
        # The refresh of the events block: the user and the events.
        assert len(small_events) <= 3, "\n".join(small_events)
