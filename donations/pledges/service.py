"""Pledges, their items and their allocations: the business rules. Never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, joinedload

from donations.errors import Conflict, Forbidden, Invalid, NotFound
from donations.events import service as event_service
from donations.events.service import Actor
from donations.models import Allocation, Item, Pledge, PledgeStatus, Role, User
from donations.organisations import service as organisation_service
from donations.pledges import repository
from donations.pledges.schemas import AllocationCreate, ItemIn, PledgeCreate
from donations.tags import new_tag


def get_visible(session: Session, *, pledge_id: int, user: User, lock: bool = False) -> Pledge:
    """The pledge if the user may read it, else 404 (existence is not revealed)."""
    pledge = repository.get_pledge(session, pledge_id, lock=lock)
    if pledge is None or not may_read(user, pledge):
        raise NotFound(f"pledge {pledge_id} not found")
    return pledge


def require_items_visible(session: Session, *, pledge_id: int, user: User) -> None:
    """404 unless the user may list some of the pledge's items: a donor its own pledges', a
    coordinator any, a recipient a pledge with items dispatched to it. Filters and paging do
    not matter, so an empty filtered page never reveals that a pledge exists."""
    if user.role != Role.recipient:
        get_visible(session, pledge_id=pledge_id, user=user)
    elif not repository.has_visible_items(session, pledge_id=pledge_id, user=user):
        raise NotFound(f"pledge {pledge_id} not found")


def may_read(user: User, pledge: Pledge) -> bool:
    return user.role == Role.coordinator or (
        user.role == Role.donor and pledge.donor_id == user.organisation_id
    )


def _open(pledge: Pledge) -> None:
    if pledge.status != PledgeStatus.open:
        raise Conflict(f"pledge {pledge.id} is {pledge.status}; only open pledges change")


def create(session: Session, *, pledge_in: PledgeCreate, actor: Actor, user: User) -> Pledge:
    if user.role == Role.coordinator:
        if not pledge_in.donor:
            raise Invalid("donor: required when a coordinator records a pledge")
        donor = organisation_service.require_by_code(session, pledge_in.donor, field="donor")
    else:
        if user.organisation is None:
            raise Forbidden("you belong to no organisation")
        if pledge_in.donor and pledge_in.donor.upper() != user.organisation.code:
            raise Forbidden(f"donor: you can only pledge for {user.organisation.code}")
        donor = user.organisation
    if donor.kind == "recipient":
        raise Invalid(f"donor: {donor.code} is a recipient organisation")
    pledge = Pledge(
        donor=donor,
        donor_id=donor.id,
        title=pledge_in.title,
        category=pledge_in.category,
        description=pledge_in.description or "",
        quantity=pledge_in.quantity,
        unit_value=pledge_in.unit_value,
        currency=pledge_in.currency,
        programme=pledge_in.programme,
    )
    session.add(pledge)
    session.flush()
    event_service.record(
        session,
        actor=actor,
        kind="pledge.created",
        pledge_id=pledge.id,
        donor_id=donor.id,
        data={"title": pledge.title, "quantity": pledge.quantity, "category": pledge.category},
    )
    return pledge


def add_items(
    session: Session,
    *,
    pledge: Pledge,
    rows: Sequence[ItemIn],
    actor: Actor,
    origin: str,
    row_names: Sequence[str] | None = None,
) -> list[Item]:
    """Register units with serial numbers, all or none. `pledge` must be locked.

    `row_names` name each row in errors ("row 7" for a file line); by default "items[i]".
    """
    _open(pledge)
    names = list(row_names) if row_names is not None else [f"items[{i}]" for i in range(len(rows))]
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        if row.serial in seen:
            raise Invalid(
                f"{names[index]}: serial {row.serial!r} repeats {names[seen[row.serial]]}"
            )
        seen[row.serial] = index
    taken = repository.existing_serials(session, pledge.id, list(seen))
    if taken:
        index = next(i for i, row in enumerate(rows) if row.serial in taken)
        more = f" ({len(taken) - 1} more rows too)" if len(taken) > 1 else ""
        raise Invalid(
            f"{names[index]}: serial {rows[index].serial!r} is already registered "
            f"in pledge {pledge.id}{more}"
        )
    return _insert(
        session,
        pledge=pledge,
        values=[{"serial": r.serial, "model": r.model, "notes": r.notes} for r in rows],
        actor=actor,
        origin=origin,
    )


def generate_items(
    session: Session, *, pledge: Pledge, count: int, model: str | None, actor: Actor
) -> list[Item]:
    """Register `count` units without serial numbers (tags only)."""
    _open(pledge)
    values = [{"serial": None, "model": model, "notes": None} for _ in range(count)]
    return _insert(session, pledge=pledge, values=values, actor=actor, origin="generate")


def _insert(
    session: Session,
    *,
    pledge: Pledge,
    values: list[dict[str, str | None]],
    actor: Actor,
    origin: str,
) -> list[Item]:
    item_count, _ = repository.counts(session, pledge.id)
    if item_count + len(values) > pledge.quantity:
        raise Conflict(
            f"quantity: pledge {pledge.id} is for {pledge.quantity} units and has {item_count} "
            f"items; {len(values)} more would make {item_count + len(values)}"
        )
    last_id = session.scalar(select(Item.id).order_by(Item.id.desc()).limit(1)) or 0
    session.execute(
        insert(Item),
        [{"pledge_id": pledge.id, "tag": new_tag(), "state": "pledged"} | v for v in values],
    )
    event_service.record(
        session,
        actor=actor,
        kind="items.imported",
        pledge_id=pledge.id,
        donor_id=pledge.donor_id,
        data={"count": len(values), "origin": origin, "item_count": item_count + len(values)},
    )
    return list(
        session.scalars(
            select(Item)
            .options(joinedload(Item.recipient))
            .where(Item.pledge_id == pledge.id, Item.id > last_id)
            .order_by(Item.id)
        )
    )


def allocate(
    session: Session, *, pledge: Pledge, allocation_in: AllocationCreate, actor: Actor
) -> Allocation:
    """Allocate units of a locked pledge to a recipient; never above the pledge."""
    _open(pledge)
    recipient = organisation_service.require_by_code(
        session, allocation_in.recipient, field="recipient", kind="recipient"
    )
    _, allocated = repository.counts(session, pledge.id)
    remaining = pledge.quantity - allocated
    if allocation_in.quantity > remaining:
        raise Conflict(
            f"quantity: pledge {pledge.id} has {pledge.quantity} units, {allocated} allocated; "
            f"only {remaining} remain, not {allocation_in.quantity}"
        )
    allocation = Allocation(
        pledge_id=pledge.id,
        recipient=recipient,
        recipient_id=recipient.id,
        quantity=allocation_in.quantity,
    )
    session.add(allocation)
    session.flush()
    event_service.record(
        session,
        actor=actor,
        kind="allocation.created",
        pledge_id=pledge.id,
        donor_id=pledge.donor_id,
        recipient_id=recipient.id,
        data={"recipient": recipient.code, "quantity": allocation.quantity},
    )
    return allocation
