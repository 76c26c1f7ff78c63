"""Reading the audit trail, scoped to the caller."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from donations import scope
from donations.events.schemas import EventRead
from donations.models import Event, Organisation, User


@dataclass
class EventFilter:
    kind: str | None = None
    item_id: int | None = None
    shipment_id: int | None = None
    pledge_id: int | None = None
    organisation_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _select(user: User, f: EventFilter) -> Select[Event, str, str]:
    stmt = (
        select(Event, User.username, Organisation.code)
        .outerjoin(User, User.id == Event.actor_id)
        .outerjoin(Organisation, Organisation.id == Event.organisation_id)
        .where(scope.events(user))
    )
    if f.kind:
        stmt = (
            stmt.where(Event.kind.startswith(f.kind, autoescape=True))
            if f.kind.endswith(".")
            else stmt.where(Event.kind == f.kind)
        )
    if f.item_id is not None:
        stmt = stmt.where(Event.item_id == f.item_id)
    if f.shipment_id is not None:
        stmt = stmt.where(Event.shipment_id == f.shipment_id)
    if f.pledge_id is not None:
        stmt = stmt.where(Event.pledge_id == f.pledge_id)
    if f.organisation_id is not None:
        oid = f.organisation_id
        stmt = stmt.where(
            (Event.organisation_id == oid) | (Event.donor_id == oid) | (Event.recipient_id == oid)
        )
    if f.since is not None:
        stmt = stmt.where(Event.at >= f.since)
    if f.until is not None:
        stmt = stmt.where(Event.at < f.until)
    return stmt


def page(
    session: Session, *, user: User, f: EventFilter, after: int | None, limit: int
) -> Sequence[EventRead]:
    """Newest first; `after` is the id of the last event of the previous page."""
    stmt = _select(user, f).order_by(Event.id.desc()).limit(limit)
    if after is not None:
        stmt = stmt.where(Event.id < after)
    return [EventRead.of(e, actor=a, organisation=o) for e, a, o in session.execute(stmt)]


def all_in_scope(session: Session, *, user: User) -> Iterator[EventRead]:
    """Oldest first, for exports."""
    stmt = _select(user, EventFilter()).order_by(Event.id).execution_options(yield_per=1000)
    for e, a, o in session.execute(stmt):
        yield EventRead.of(e, actor=a, organisation=o)
