"""Writing and reading the append-only event record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from donations import clock
from donations.events import chain
from donations.models import Event, User


@dataclass(frozen=True)
class Actor:
    """Who is acting, and through which channel (`web`, `api`, `scan`, `offline`, `cli`)."""

    user: User | None
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


def record(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    item_id: int | None = None,
    shipment_id: int | None = None,
    pledge_id: int | None = None,
    donor_id: int | None = None,
    recipient_id: int | None = None,
    data: dict[str, Any] | None = None,
    client_event_id: str | None = None,
) -> None:
    """Write one event, in the session's transaction (so with the change it records)."""
    row: dict[str, Any] = dict(
        at=clock.now(),
        kind=kind,
        actor_id=actor.user_id,
        organisation_id=actor.organisation_id,
        donor_id=donor_id,
        recipient_id=recipient_id,
        item_id=item_id,
        shipment_id=shipment_id,
        pledge_id=pledge_id,
        source=actor.source,
        data=data or {},
        client_key=actor.client_key(client_event_id),
    )
    session.flush()  # the change this event records is written first
    # A plain INSERT, not an ORM object: an event is never changed after this, and the
    # unit of work costs more than the statement (this is on the scan's hot path).
    session.connection().execute(_INSERT_EVENT, chain.link(session, row))


_INSERT_EVENT = insert(Event)


def record_many(session: Session, *, actor: Actor, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many events in one statement (packing or dispatching hundreds of items)."""
    if not rows:
        return
    at = clock.now()
    session.flush()  # events added before these come first in the chain
    session.execute(
        insert(Event),
        [
            chain.link(
                session,
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
                | row,
            )
            for row in rows
        ],
    )


_BY_CLIENT_KEY = select(Event).where(Event.client_key == bindparam("key"))


def find_by_client_key(session: Session, key: str | None) -> Event | None:
    if key is None:
        return None
    return session.scalars(_BY_CLIENT_KEY, {"key": key}).first()
