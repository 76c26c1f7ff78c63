"""Who sees what, as SQL conditions: one place for the scoping rules of DESIGN.md.

- coordinator: everything;
- donor: its organisation's pledges, their items, allocations, shipments and events;
- recipient: shipments addressed to it once dispatched, the items in them, their events.
  Drafts are the donor's work in progress and stay hidden until dispatch.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import ColumnElement, and_, false, select, true

from donations.models import Event, Item, Pledge, Role, Shipment, User

RECIPIENT_ITEM_STATES = ("in_transit", "received", "missing", "deployed")


class Principal(Protocol):
    """Who is asking, as far as scoping and the event record need: a `User`, or on the
    scan's hot path the holder of a bearer token (donations.auth.service.TokenHolder)."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...

    @property
    def organisation_id(self) -> int | None: ...


def _org(user: User) -> int:
    return user.organisation_id if user.organisation_id is not None else -1


def pledges(user: User) -> ColumnElement[bool]:
    if user.role == Role.coordinator:
        return true()
    if user.role == Role.donor:
        return Pledge.donor_id == _org(user)
    return false()


def items(user: User) -> ColumnElement[bool]:
    if user.role == Role.coordinator:
        return true()
    if user.role == Role.donor:
        return Item.pledge_id.in_(select(Pledge.id).where(Pledge.donor_id == _org(user)))
    return and_(Item.recipient_id == _org(user), Item.state.in_(RECIPIENT_ITEM_STATES))


def shipments(user: User) -> ColumnElement[bool]:
    if user.role == Role.coordinator:
        return true()
    if user.role == Role.donor:
        return Shipment.origin_id == _org(user)
    return and_(Shipment.destination_id == _org(user), Shipment.status != "draft")


def events(user: User) -> ColumnElement[bool]:
    if user.role == Role.coordinator:
        return true()
    if user.role == Role.donor:
        return Event.donor_id == _org(user)
    return Event.recipient_id == _org(user)


def can_see_item(user: Principal, *, state: str, recipient_id: int | None, donor_id: int) -> bool:
    """`items(user)` for one item already loaded."""
    if user.role == Role.coordinator:
        return True
    if user.role == Role.donor:
        return donor_id == user.organisation_id
    return recipient_id == user.organisation_id and state in RECIPIENT_ITEM_STATES


def can_see_shipment(user: User, shipment: Shipment) -> bool:
    if user.role == Role.coordinator:
        return True
    if user.role == Role.donor:
        return shipment.origin_id == user.organisation_id
    return shipment.destination_id == user.organisation_id and shipment.status != "draft"
