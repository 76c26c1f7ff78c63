"""Select statements for pledges, their items and allocations."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from donations import scope
from donations.models import Allocation, Item, Pledge, User
from donations.tags import InvalidTag, normalize_tag


def item_count_col() -> ColumnElement[int]:
    return select(func.count(Item.id)).where(Item.pledge_id == Pledge.id).scalar_subquery()


def allocated_col() -> ColumnElement[int]:
    return (
        select(func.coalesce(func.sum(Allocation.quantity), 0))
        .where(Allocation.pledge_id == Pledge.id)
        .scalar_subquery()
    )


def pledges_with_counts() -> Select[Pledge, int, int]:
    return select(Pledge, item_count_col(), allocated_col()).options(joinedload(Pledge.donor))


def list_pledges(
    session: Session, *, user: User, after: int | None, limit: int
) -> Sequence[tuple[Pledge, int, int]]:
    stmt = pledges_with_counts().where(scope.pledges(user)).order_by(Pledge.id).limit(limit)
    if after is not None:
        stmt = stmt.where(Pledge.id > after)
    return [tuple(row) for row in session.execute(stmt).all()]  # type: ignore[misc]


def get_pledge(session: Session, pledge_id: int, *, lock: bool = False) -> Pledge | None:
    stmt = select(Pledge).options(joinedload(Pledge.donor)).where(Pledge.id == pledge_id)
    if lock:
        stmt = stmt.with_for_update(of=Pledge)
    return session.scalars(stmt).first()


def counts(session: Session, pledge_id: int) -> tuple[int, int]:
    """(item_count, allocated) of one pledge."""
    row = session.execute(
        select(item_count_col(), allocated_col()).where(Pledge.id == pledge_id)
    ).one()
    return int(row[0]), int(row[1])


def allocated_to(session: Session, pledge_id: int, recipient_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Allocation.quantity), 0)).where(
                Allocation.pledge_id == pledge_id, Allocation.recipient_id == recipient_id
            )
        )
        or 0
    )


def assigned_to(session: Session, pledge_id: int, recipient_id: int) -> int:
    """Items of the pledge already packed for (or sent to) the recipient."""
    return int(
        session.scalar(
            select(func.count(Item.id)).where(
                Item.pledge_id == pledge_id, Item.recipient_id == recipient_id
            )
        )
        or 0
    )


def list_allocations(session: Session, pledge_id: int) -> Sequence[Allocation]:
    return session.scalars(
        select(Allocation)
        .options(joinedload(Allocation.recipient))
        .where(Allocation.pledge_id == pledge_id)
        .order_by(Allocation.id)
    ).all()


def existing_serials(session: Session, pledge_id: int, serials: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(serials), 500):
        chunk = serials[start : start + 500]
        found.update(
            s
            for s in session.scalars(
                select(Item.serial).where(Item.pledge_id == pledge_id, Item.serial.in_(chunk))
            )
            if s is not None
        )
    return found


def has_visible_items(session: Session, *, pledge_id: int, user: User) -> bool:
    """Whether the user may see at least one item of the pledge."""
    stmt = select(Item.id).where(Item.pledge_id == pledge_id, scope.items(user)).limit(1)
    return session.scalar(stmt) is not None


def list_items(
    session: Session,
    *,
    user: User,
    pledge_id: int,
    after: int | None,
    limit: int,
    state: str | None = None,
    q: str | None = None,
) -> Sequence[Item]:
    stmt = (
        select(Item)
        .options(joinedload(Item.recipient))
        .where(Item.pledge_id == pledge_id, scope.items(user))
        .order_by(Item.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(Item.id > after)
    if state:
        stmt = stmt.where(Item.state == state)
    if q:
        stmt = stmt.where(search_items(q))
    return session.scalars(stmt).all()


def search_items(q: str) -> ColumnElement[bool]:
    """A serial (exact, or a prefix) or a tag typed in any forgiving form."""
    q = q.strip()
    conditions: list[ColumnElement[bool]] = [
        Item.serial == q,
        Item.serial.startswith(q, autoescape=True),
    ]
    with contextlib.suppress(InvalidTag):
        conditions.append(Item.tag == normalize_tag(q))
    return or_(*conditions)


def count_in_state(session: Session, pledge_id: int, state: str) -> int:
    return int(
        session.scalar(
            select(func.count(Item.id)).where(Item.pledge_id == pledge_id, Item.state == state)
        )
        or 0
    )
