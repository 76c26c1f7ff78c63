"""The hash chain that makes the event record tamper-evident.

Each event carries `hash`, the SHA-256 of its canonical content (every column but `id` and
`hash`, as sorted-key JSON) including `prev_hash`, the hash of the event before it. Editing,
deleting or reordering an event therefore breaks the chain at that point, and
`donations verify-events` names the first broken link.

Events are chained in the order they are written: on SQLite writers are serialised anyway;
on PostgreSQL a transaction takes an advisory lock before it reads the chain's head, and
holds it until it commits, so concurrent writers (in any process) take turns.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from donations.clock import as_utc
from donations.db import lock_event_chain
from donations.models import Event
from donations.prepared import Prepared

GENESIS = "0" * 64

FIELDS = (
    "at",
    "kind",
    "actor_id",
    "organisation_id",
    "donor_id",
    "recipient_id",
    "item_id",
    "shipment_id",
    "pledge_id",
    "source",
    "data",
    "client_key",
    "prev_hash",
)


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def digest(row: dict[str, Any]) -> str:
    """The hash of an event's canonical content (`row` has at least FIELDS)."""
    content = {name: _value(row.get(name)) for name in FIELDS}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


_LAST_HASH = Prepared(select(Event.hash).order_by(Event.id.desc()).limit(1))


def head(conn: Connection) -> str:
    """The hash the next event links to, locking the chain for this transaction first (on
    PostgreSQL; a no-op when the write transaction took the lock when it began: db)."""
    lock_event_chain(conn)
    last = _LAST_HASH.scalar(conn)  # events are inserted at once, never held back (service)
    return str(last) if last else GENESIS


def link(rows: Iterable[dict[str, Any]], head: str) -> str:
    """Give each row, in order, its place in the chain after `head`: `prev_hash` and `hash`;
    returns the new head."""
    for row in rows:
        row["prev_hash"] = head
        row["hash"] = head = digest(row)
    return head


@dataclass
class Broken:
    event_id: int
    reason: str


def verify(session: Session, *, batch: int = 5000) -> tuple[int, Broken | None, str]:
    """Walk the chain in id order: (events checked, the first broken link or None, head)."""
    expected_prev = GENESIS
    checked = 0
    for event in _walk(session, batch):
        row = {name: getattr(event, name) for name in FIELDS}
        if event.prev_hash != expected_prev:
            return (
                checked,
                Broken(
                    event.id,
                    "its link to the event before it does not match: an event before it was "
                    "deleted, inserted or changed",
                ),
                expected_prev,
            )
        if digest(row) != event.hash:
            return (
                checked,
                Broken(
                    event.id,
                    "its content does not match its hash: it was changed after it was written",
                ),
                expected_prev,
            )
        expected_prev = event.hash or ""
        checked += 1
    return checked, None, expected_prev


def _walk(session: Session, batch: int) -> Iterator[Event]:
    after = 0
    while True:
        rows = session.scalars(
            select(Event).where(Event.id > after).order_by(Event.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id
        session.expunge_all()
