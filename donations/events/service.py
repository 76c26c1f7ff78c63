"""Writing and reading the append-only event record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Required, TypedDict, Unpack

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from donations import clock
from donations.events import chain
from donations.models import Event
from donations.prepared import Prepared
from donations.scope import Principal


@dataclass(frozen=True)
class Actor:
    """Who is acting, and through which channel (`web`, `api`, `scan`, `offline`, `cli`)."""

    user: Principal | None
    source: str = "api"

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    @property
    def organisation_id(self) -> int | None:
        return self.user.organisation_id if self.user is not None else None

    def client_key(self, client_event_id: str | None) -> str | None:
        """The idempotency key of a client event id: unique per organisation."""
        if not client_event_id:
            return None
        if self.organisation_id is not None:
            return f"org:{self.organisation_id}:{client_event_id}"
        return f"user:{self.user_id}:{client_event_id}"


class EventFields(TypedDict, total=False):
    """What an event says (`record`, `append`); the ids name what it concerns."""

    actor: Required[Actor]
    kind: Required[str]
    item_id: int | None
    shipment_id: int | None
    pledge_id: int | None
    donor_id: int | None
    recipient_id: int | None
    data: dict[str, Any] | None
    client_event_id: str | None


def record(session: Session, **fields: Unpack[EventFields]) -> None:
    """Write one event, in the session's transaction (so with the change it records)."""
    session.flush()  # the change this event records is written first
    append(session.connection(), **fields)


def append(conn: Connection, **fields: Unpack[EventFields]) -> None:
    """`record` for a Core connection's transaction (the scan's hot path): one INSERT, no
    ORM object (an event is never changed after this)."""
    actor = fields["actor"]
    row: dict[str, Any] = dict(
        at=clock.now(),
        kind=fields["kind"],
        actor_id=actor.user_id,
        organisation_id=actor.organisation_id,
        donor_id=fields.get("donor_id"),
        recipient_id=fields.get("recipient_id"),
        item_id=fields.get("item_id"),
        shipment_id=fields.get("shipment_id"),
        pledge_id=fields.get("pledge_id"),
        source=actor.source,
        data=fields.get("data") or {},
        client_key=actor.client_key(fields.get("client_event_id")),
    )
    chain.link([row], chain.head(conn))
    _INSERT_EVENT.run(conn, **row)


_INSERT_EVENT = Prepared(insert(Event), columns=(*chain.FIELDS, "hash"))


def record_many(session: Session, *, actor: Actor, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many events in one statement (packing or dispatching hundreds of items)."""
    if not rows:
        return
    at = clock.now()
    session.flush()  # events added before these come first in the chain
    conn = session.connection()
    events = [
        {
            "at": at,
            "actor_id": actor.user_id,
            "organisation_id": actor.organisation_id,
            "source": actor.source,
            "client_key": None,
            "data": {},
            "donor_id": None,
            "recipient_id": None,
            "item_id": None,
            "shipment_id": None,
            "pledge_id": None,
        }
        | row
        for row in rows
    ]
    chain.link(events, chain.head(conn))
    conn.execute(insert(Event), events)
