"""Pledges, their items and their allocations: the business rules. Never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, joinedload

from donations.errors import Conflict, Forbidden, Invalid, NotFound
from donations.events import service as event_service
from donations.events.service import Actor
from donations.i18n import gettext as _
from donations.i18n import ngettext, pgettext
from donations.models import Allocation, Item, Pledge, PledgeStatus, Role, User
from donations.organisations import service as organisation_service
from donations.pledges import repository
from donations.pledges.schemas import AllocationCreate, ItemIn, PledgeCreate
from donations.tags import new_tag


def get_visible(session: Session, *, pledge_id: int, user: User, lock: bool = False) -> Pledge:
    """The pledge if the user may read it, else 404 (existence is not revealed)."""
    pledge = repository.get_pledge(session, pledge_id, lock=lock)
    if pledge is None or not may_read(user, pledge):
        raise NotFound(_("pledge {pledge} not found").format(pledge=pledge_id))
    return pledge


def require_items_visible(session: Session, *, pledge_id: int, user: User) -> None:
    """404 unless the user may list some of the pledge's items: a donor its own pledges', a
    coordinator any, a recipient a pledge with items dispatched to it. Filters and paging do
    not matter, so an empty filtered page never reveals that a pledge exists."""
    if user.role != Role.recipient:
        get_visible(session, pledge_id=pledge_id, user=user)
    elif not repository.has_visible_items(session, pledge_id=pledge_id, user=user):
        raise NotFound(_("pledge {pledge} not found").format(pledge=pledge_id))


def may_read(user: User, pledge: Pledge) -> bool:
    return user.role == Role.coordinator or (
        user.role == Role.donor and pledge.donor_id == user.organisation_id
    )


def status_name(status: PledgeStatus | str) -> str:
    """The pledge status in the current language (in English, its code: `open`)."""
    names = {
        PledgeStatus.open: pgettext("pledge status", "open"),
        PledgeStatus.closed: pgettext("pledge status", "closed"),
        PledgeStatus.cancelled: pgettext("pledge status", "cancelled"),
    }
    return names[PledgeStatus(status)]


def _open(pledge: Pledge) -> None:
    if pledge.status != PledgeStatus.open:
        raise Conflict(
            _("pledge {pledge} is {status}; only open pledges change").format(
                pledge=pledge.id, status=status_name(pledge.status)
            )
        )


def create(session: Session, *, pledge_in: PledgeCreate, actor: Actor, user: User) -> Pledge:
    if user.role == Role.coordinator:
        if not pledge_in.donor:
            raise Invalid(_("required when a coordinator records a pledge"), field="donor")
        donor = organisation_service.require_by_code(session, pledge_in.donor, field="donor")
    else:
        if user.organisation is None:
            raise Forbidden(_("you belong to no organisation"))
        if pledge_in.donor and pledge_in.donor.upper() != user.organisation.code:
            raise Forbidden(
                _("you can only pledge for {code}").format(code=user.organisation.code),
                field="donor",
            )
        donor = user.organisation
    if donor.kind == "recipient":
        raise Invalid(
            _("{code} is a recipient organisation").format(code=donor.code), field="donor"
        )
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

    `row_names` name each row in errors, in the request's language ("row 7" for a file
    line); by default "items[i]". The row at fault is the error's `field`.
    """
    _open(pledge)
    names = list(row_names) if row_names is not None else [f"items[{i}]" for i in range(len(rows))]
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        if row.serial in seen:
            raise Invalid(
                _("serial {serial!r} repeats {other}").format(
                    serial=row.serial, other=names[seen[row.serial]]
                ),
                field=names[index],
            )
        seen[row.serial] = index
    taken = repository.existing_serials(session, pledge.id, list(seen))
    if taken:
        index = next(i for i, row in enumerate(rows) if row.serial in taken)
        serial = rows[index].serial
        if len(taken) > 1:
            message = ngettext(
                "serial {serial!r} is already registered in pledge {pledge} ({more} more row too)",
                "serial {serial!r} is already registered in pledge {pledge} ({more} more rows too)",
                len(taken) - 1,
            ).format(serial=serial, pledge=pledge.id, more=len(taken) - 1)
        else:
            message = _("serial {serial!r} is already registered in pledge {pledge}").format(
                serial=serial, pledge=pledge.id
            )
        raise Invalid(message, field=names[index])
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
    values = [{"serial": None, "model": model, "notes": None} for _unit in range(count)]
    return _insert(session, pledge=pledge, values=values, actor=actor, origin="generate")


def _insert(
    session: Session,
    *,
    pledge: Pledge,
    values: list[dict[str, str | None]],
    actor: Actor,
    origin: str,
) -> list[Item]:
    item_count, _allocated = repository.counts(session, pledge.id)
    if item_count + len(values) > pledge.quantity:
        raise Conflict(
            _(
                "pledge {pledge} is for {quantity} units and has {items} items; "
                "{more} more would make {total}"
            ).format(
                pledge=pledge.id,
                quantity=pledge.quantity,
                items=item_count,
                more=len(values),
                total=item_count + len(values),
            ),
            field="quantity",
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
    _item_count, allocated = repository.counts(session, pledge.id)
    remaining = pledge.quantity - allocated
    if allocation_in.quantity > remaining:
        raise Conflict(
            _(
                "pledge {pledge} has {units} units, {allocated} allocated; "
                "only {remaining} remain, not {wanted}"
            ).format(
                pledge=pledge.id,
                units=pledge.quantity,
                allocated=allocated,
                remaining=remaining,
                wanted=allocation_in.quantity,
            ),
            field="quantity",
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
