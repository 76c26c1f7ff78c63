"""Select statements for shipments and their items."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, joinedload

from donations import scope
from donations.models import Item, Shipment, User

RECEIVED_STATES = ("received", "deployed")


def item_count_col() -> ColumnElement[int]:
    return select(func.count(Item.id)).where(Item.shipment_id == Shipment.id).scalar_subquery()


def received_count_col() -> ColumnElement[int]:
    return (
        select(func.count(Item.id))
        .where(Item.shipment_id == Shipment.id, Item.state.in_(RECEIVED_STATES))
        .scalar_subquery()
    )


def with_counts() -> Select[Shipment, int, int]:
    return select(Shipment, item_count_col(), received_count_col()).options(
        joinedload(Shipment.origin), joinedload(Shipment.destination)
    )


def list_shipments(
    session: Session,
    *,
    user: User,
    after: int | None,
    limit: int,
    status: str | None = None,
    pledge_id: int | None = None,
) -> Sequence[tuple[Shipment, int, int]]:
    """Newest first."""
    stmt = with_counts().where(scope.shipments(user)).order_by(Shipment.id.desc()).limit(limit)
    if after is not None:
        stmt = stmt.where(Shipment.id < after)
    if status:
        stmt = stmt.where(Shipment.status == status)
    if pledge_id is not None:
        stmt = stmt.where(Shipment.pledge_id == pledge_id)
    return [tuple(row) for row in session.execute(stmt).all()]  # type: ignore[misc]


def get(session: Session, shipment_id: int, *, lock: bool = False) -> Shipment | None:
    stmt = (
        select(Shipment)
        .options(joinedload(Shipment.origin), joinedload(Shipment.destination))
        .where(Shipment.id == shipment_id)
    )
    if lock:
        stmt = stmt.with_for_update(of=Shipment, key_share=True)
    return session.scalars(stmt).first()


def lock(session: Session, shipment_id: int) -> Shipment | None:
    """Lock the shipment row for the rest of the transaction (PostgreSQL).

    `FOR NO KEY UPDATE`, the lock PostgreSQL itself takes to update non-key columns: it
    still serialises the writers of one shipment, but not the inserts of events that merely
    refer to it (their foreign key check takes a `KEY SHARE` lock on the row, which a plain
    `FOR UPDATE` would block and, with the writer waiting on rows that insert holds,
    deadlock). Writers lock the shipment first, then its items.
    """
    return session.scalars(
        select(Shipment).where(Shipment.id == shipment_id).with_for_update(key_share=True)
    ).first()


def counts(session: Session, shipment_id: int) -> tuple[int, int]:
    row = session.execute(
        select(item_count_col(), received_count_col()).where(Shipment.id == shipment_id)
    ).one()
    return int(row[0]), int(row[1])


def items(
    session: Session, shipment_id: int, *, states: tuple[str, ...] | None = None
) -> Sequence[Item]:
    stmt = (
        select(Item)
        .options(joinedload(Item.recipient))
        .where(Item.shipment_id == shipment_id)
        .order_by(Item.id)
    )
    if states:
        stmt = stmt.where(Item.state.in_(states))
    return session.scalars(stmt).all()
