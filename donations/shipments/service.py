"""Shipments: create, pack, unpack, dispatch, close. Never commits.

Every write locks the rows it reads to decide (the pledge for packing, the shipment for its
status) with SELECT ... FOR UPDATE on PostgreSQL; on SQLite the write transaction already
holds the database's write lock (see donations.db).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from donations import clock, scope
from donations.errors import Conflict, Invalid, NotFound
from donations.events import service as event_service
from donations.events.service import Actor
from donations.i18n import gettext as _
from donations.i18n import pgettext
from donations.lifecycle import EVENT_KINDS, Action, IllegalTransition, State, transition
from donations.models import Item, Role, Shipment, ShipmentStatus, User
from donations.organisations import service as organisation_service
from donations.pledges import repository as pledge_repository
from donations.pledges import service as pledge_service
from donations.s10 import S10Error
from donations.shipments import repository
from donations.shipments.schemas import (
    DispatchRequest,
    PackRequest,
    ShipmentCreate,
    checked_tracking_number,
)
from donations.tags import new_tag


def get_visible(session: Session, *, shipment_id: int, user: User, lock: bool = False) -> Shipment:
    shipment = repository.get(session, shipment_id, lock=lock)
    if shipment is None or not scope.can_see_shipment(user, shipment):
        raise NotFound(_("shipment {shipment} not found").format(shipment=shipment_id))
    return shipment


def status_name(status: ShipmentStatus | str) -> str:
    """The shipment status in the current language (in English, its code: `dispatched`)."""
    names = {
        ShipmentStatus.draft: pgettext("shipment status", "draft"),
        ShipmentStatus.dispatched: pgettext("shipment status", "dispatched"),
        ShipmentStatus.received: pgettext("shipment status", "received"),
        ShipmentStatus.closed: pgettext("shipment status", "closed"),
    }
    return names[ShipmentStatus(status)]


def _refusals() -> dict[str, str]:
    """What cannot be done to a shipment not in the status it needs, by the doing."""
    return {
        "pack": _("cannot pack items into shipment {shipment}: it is {status}, not {allowed}"),
        "unpack": _("cannot unpack items from shipment {shipment}: it is {status}, not {allowed}"),
        "dispatch": _("cannot dispatch shipment {shipment}: it is {status}, not {allowed}"),
        "close": _("cannot close shipment {shipment}: it is {status}, not {allowed}"),
    }


def _require_status(shipment: Shipment, allowed: ShipmentStatus, *, doing: str) -> None:
    if shipment.status != allowed:
        raise Conflict(
            _refusals()[doing].format(
                shipment=shipment.id,
                status=status_name(shipment.status),
                allowed=status_name(allowed),
            )
        )


def _remaining_allocation(
    session: Session, pledge_id: int, recipient_id: int
) -> tuple[int, int, int]:
    """(allocated, already assigned, remaining) for a recipient on a pledge."""
    allocated = pledge_repository.allocated_to(session, pledge_id, recipient_id)
    assigned = pledge_repository.assigned_to(session, pledge_id, recipient_id)
    return allocated, assigned, allocated - assigned


def create(session: Session, *, shipment_in: ShipmentCreate, user: User, actor: Actor) -> Shipment:
    pledge = pledge_service.get_visible(session, pledge_id=shipment_in.pledge_id, user=user)
    recipient = organisation_service.require_by_code(
        session, shipment_in.recipient, field="recipient", kind="recipient"
    )
    allocated, _assigned, remaining = _remaining_allocation(session, pledge.id, recipient.id)
    if remaining <= 0:
        raise Conflict(
            _(
                "{recipient} has no allocation left on pledge {pledge} ({allocated} allocated)"
            ).format(recipient=recipient.code, pledge=pledge.id, allocated=allocated),
            field="recipient",
        )
    shipment = Shipment(
        tag=new_tag(),
        pledge_id=pledge.id,
        origin=pledge.donor,
        origin_id=pledge.donor_id,
        destination=recipient,
        destination_id=recipient.id,
        carrier=shipment_in.carrier,
        mode=shipment_in.mode.value,
        tracking_number=shipment_in.tracking_number,
        expected_arrival=shipment_in.expected_arrival,
        status=ShipmentStatus.draft.value,
    )
    session.add(shipment)
    session.flush()
    event_service.record(
        session,
        actor=actor,
        kind="shipment.created",
        shipment_id=shipment.id,
        pledge_id=pledge.id,
        donor_id=pledge.donor_id,
        data={"recipient": recipient.code, "mode": shipment.mode},
    )
    return shipment


def pack(session: Session, *, shipment: Shipment, pack_in: PackRequest, actor: Actor) -> list[int]:
    """Put items of the shipment's pledge into a draft shipment; never more than the
    recipient's remaining allocation. Returns the packed item ids."""
    _require_status(shipment, ShipmentStatus.draft, doing="pack")
    pledge_repository.get_pledge(session, shipment.pledge_id, lock=True)  # serialises packing
    allocated, assigned, remaining = _remaining_allocation(
        session, shipment.pledge_id, shipment.destination_id
    )
    wanted = pack_in.count if pack_in.count is not None else len(pack_in.item_ids or [])
    if wanted > remaining:
        raise Conflict(
            _(
                "{recipient} has {allocated} units allocated from pledge {pledge} and "
                "{assigned} already packed or sent: {remaining} remain, not {wanted}"
            ).format(
                recipient=shipment.destination.code,
                allocated=allocated,
                pledge=shipment.pledge_id,
                assigned=assigned,
                remaining=remaining,
                wanted=wanted,
            )
        )
    items = (
        _pick(session, shipment, pack_in.count)
        if pack_in.count is not None
        else _chosen(session, shipment, pack_in.item_ids or [])
    )
    ids = [item.id for item in items]
    session.execute(
        update(Item)
        .where(Item.id.in_(ids))
        .values(
            state=State.packed.value, shipment_id=shipment.id, recipient_id=shipment.destination_id
        )
        .execution_options(synchronize_session=False)
    )
    _item_events(session, actor, shipment, ids, Action.pack, recipient=False)
    return ids


def _pick(session: Session, shipment: Shipment, count: int) -> list[Item]:
    items = list(
        session.scalars(
            select(Item)
            .where(Item.pledge_id == shipment.pledge_id, Item.state == State.pledged.value)
            .order_by(Item.id)
            .limit(count)
        )
    )
    if len(items) < count:
        raise Conflict(
            _(
                "pledge {pledge} has only {available} unpacked items, not {count}; "
                "register more items first"
            ).format(pledge=shipment.pledge_id, available=len(items), count=count),
            field="count",
        )
    return items


def _chosen(session: Session, shipment: Shipment, item_ids: list[int]) -> list[Item]:
    if len(set(item_ids)) != len(item_ids):
        raise Invalid(_("an item is listed twice"), field="item_ids")
    found = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(item_ids)))}
    for index, item_id in enumerate(item_ids):
        item = found.get(item_id)
        if item is None or item.pledge_id != shipment.pledge_id:
            raise Invalid(
                _("item {item} is not an item of pledge {pledge}").format(
                    item=item_id, pledge=shipment.pledge_id
                ),
                field=f"item_ids[{index}]",
            )
        try:
            transition(item.state, Action.pack)
        except IllegalTransition as exc:
            raise Conflict(
                _("item {item}: {reason}").format(item=item_id, reason=exc),
                field=f"item_ids[{index}]",
            ) from None
    return [found[i] for i in item_ids]


def unpack(session: Session, *, shipment: Shipment, item_id: int, actor: Actor) -> None:
    _require_status(shipment, ShipmentStatus.draft, doing="unpack")
    item = session.scalars(
        select(Item).where(Item.id == item_id).with_for_update(key_share=True)
    ).first()
    if item is None or item.shipment_id != shipment.id:
        raise NotFound(
            _("item {item} is not in shipment {shipment}").format(
                item=item_id, shipment=shipment.id
            )
        )
    try:
        item.state = transition(item.state, Action.unpack).value
    except IllegalTransition as exc:
        raise Conflict(_("item {item}: {reason}").format(item=item_id, reason=exc)) from None
    item.shipment_id = None
    item.recipient_id = None
    _item_events(session, actor, shipment, [item.id], Action.unpack, recipient=False)


def dispatch(
    session: Session, *, shipment: Shipment, dispatch_in: DispatchRequest, actor: Actor
) -> None:
    """Send a draft shipment. Everything is checked before anything is changed, so a refusal
    leaves the shipment as it was (the pages re-render the form in the same transaction)."""
    _require_status(shipment, ShipmentStatus.draft, doing="dispatch")
    tracking = dispatch_in.tracking_number or shipment.tracking_number
    try:
        tracking = checked_tracking_number(shipment.mode, tracking)
    except S10Error as exc:
        raise Invalid(str(exc), field="tracking_number") from None
    packed = [i.id for i in repository.items(session, shipment.id, states=(State.packed.value,))]
    if not packed:
        raise Conflict(
            _("cannot dispatch shipment {shipment}: it has no items; pack some first").format(
                shipment=shipment.id
            )
        )
    if dispatch_in.carrier:
        shipment.carrier = dispatch_in.carrier
    if dispatch_in.expected_arrival:
        shipment.expected_arrival = dispatch_in.expected_arrival
    shipment.tracking_number = tracking
    dispatched_at = dispatch_in.dispatched_at or clock.now()
    session.execute(
        update(Item)
        .where(Item.id.in_(packed))
        .values(state=State.in_transit.value)
        .execution_options(synchronize_session=False)
    )
    shipment.status = ShipmentStatus.dispatched.value
    shipment.dispatched_at = dispatched_at
    _item_events(session, actor, shipment, packed, Action.dispatch, recipient=True)
    _shipment_event(
        session,
        actor,
        shipment,
        "shipment.dispatched",
        {
            "items": len(packed),
            "carrier": shipment.carrier,
            "mode": shipment.mode,
            "tracking_number": shipment.tracking_number,
            "dispatched_at": dispatched_at.isoformat(),
        },
    )


def close(session: Session, *, shipment: Shipment, actor: Actor) -> int:
    """Close a dispatched shipment: every item not received becomes missing. Returns how
    many. Closing a closed shipment again changes nothing."""
    if shipment.status == ShipmentStatus.closed:
        return 0
    _require_status(shipment, ShipmentStatus.dispatched, doing="close")
    missing = [
        i.id for i in repository.items(session, shipment.id, states=(State.in_transit.value,))
    ]
    session.execute(
        update(Item)
        .where(Item.id.in_(missing))
        .values(state=State.missing.value)
        .execution_options(synchronize_session=False)
    )
    shipment.status = ShipmentStatus.closed.value
    shipment.closed_at = clock.now()
    _item_events(session, actor, shipment, missing, Action.close, recipient=True)
    _shipment_event(session, actor, shipment, "shipment.closed", {"missing": len(missing)})
    return len(missing)


def _item_events(
    session: Session,
    actor: Actor,
    shipment: Shipment,
    ids: list[int],
    action: Action,
    *,
    recipient: bool,
) -> None:
    donor_id = shipment.origin_id
    event_service.record_many(
        session,
        actor=actor,
        rows=[
            {
                "kind": EVENT_KINDS[action],
                "item_id": item_id,
                "shipment_id": shipment.id,
                "pledge_id": shipment.pledge_id,
                "donor_id": donor_id,
                "recipient_id": shipment.destination_id if recipient else None,
                "data": {"shipment_tag": shipment.tag},
            }
            for item_id in ids
        ],
    )


def _shipment_event(
    session: Session, actor: Actor, shipment: Shipment, kind: str, data: dict[str, Any]
) -> None:
    event_service.record(
        session,
        actor=actor,
        kind=kind,
        shipment_id=shipment.id,
        pledge_id=shipment.pledge_id,
        donor_id=shipment.origin_id,
        recipient_id=shipment.destination_id,
        data=data,
    )


def may_pack(user: User, shipment: Shipment) -> bool:
    return user.role == Role.coordinator or (
        user.role == Role.donor and shipment.origin_id == user.organisation_id
    )
