"""Helpers to read the audit trail in tests: counts straight from the database, and the
whole trail through the API, page by page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from donations.db import Database
from donations.models import Event
from tests.factories import World


def event_count(db: Database) -> int:
    """Every event in the database, whoever may see it."""
    with db.session(write=False) as session:
        return int(session.scalar(select(func.count(Event.id))) or 0)


def all_events(world: World, who: str, limit: int = 1000, **params: Any) -> list[dict[str, Any]]:
    """The caller's events, newest first, following `next` until it is null."""
    found: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": limit} | params
    while True:
        page = world.ok(world.get(who, "/api/v1/events", params=query))
        found.extend(page["data"])
        if page["next"] is None:
            return found
        query["after"] = page["next"]


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["kind"] for e in events]
