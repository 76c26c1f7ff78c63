"""Receiving and deploying items by their tag: the recipient's hot path. Never commits.

Safe to repeat: the same `client_event_id`, or a receive of an item already received in
the same condition (a deploy already made at the same site), answers the item as it is and
writes nothing. The item's row is locked first (and its shipment only when the scan
completes it), so two concurrent scans of one item write one event. That order is the
reverse of the packers' (shipment, then items); it cannot deadlock because every write
transaction holds the event chain's lock before any row lock (donations.db), and on SQLite
writers are serialised anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from donations import clock, scope
from donations.errors import Conflict, Invalid, NotFound
from donations.events import service as event_service
from donations.events.service import Actor
from donations.i18n import gettext as _
from donations.lifecycle import Action, Condition, IllegalTransition, State, transition
from donations.models import Item, Pledge, Shipment, ShipmentStatus, User
from donations.scans.schemas import ScanRequest
from donations.shipments import repository as shipment_repository
from donations.tags import InvalidTag, normalize_tag

# A scan made this long before it reaches the server came from a device's offline queue.
OFFLINE_AFTER = timedelta(minutes=10)


def scan(session: Session, *, scan_in: ScanRequest, user: User, actor: Actor) -> tuple[Item, bool]:
    """Apply a scan; returns the item and whether the request was a repeat (nothing written).

    The hot path of the recipient's work: one select finds and locks the item with what the
    checks need (its donor, its shipment's status), then one update and one event insert.
    """
    try:
        tag = normalize_tag(scan_in.tag)
    except InvalidTag as exc:
        raise Invalid(str(exc), field="tag") from None
    found = _lock_item(session, tag)
    if found is None:
        raise NotFound(_("no item with tag {tag}").format(tag=tag))
    item, donor_id, shipment_status = found
    if not scope.can_see_item(user, item, donor_id):
        raise NotFound(_("no item with tag {tag}").format(tag=tag))
    if scan_in.client_event_id:
        previous = event_service.find_by_client_key(
            session, actor.client_key(scan_in.client_event_id)
        )
        if previous is not None:
            if previous.item_id != item.id:
                raise Conflict(
                    _("{key!r} was already used for another item").format(
                        key=scan_in.client_event_id
                    ),
                    field="client_event_id",
                )
            return item, True
    context = _Scan(item=item, donor_id=donor_id, shipment_status=shipment_status)
    if scan_in.action == "receive":
        return item, _receive(session, context, scan_in, actor)
    return item, _deploy(session, context, scan_in, actor)


@dataclass
class _Scan:
    item: Item
    donor_id: int
    shipment_status: str | None


_LOCK_ITEM = (
    select(Item, Pledge.donor_id, Shipment.status)
    .join(Pledge, Pledge.id == Item.pledge_id)
    .outerjoin(Shipment, Shipment.id == Item.shipment_id)
    .options(joinedload(Item.recipient))
    .where(Item.tag == bindparam("tag"))
    .with_for_update(of=Item, key_share=True)
)


def _lock_item(session: Session, tag: str) -> tuple[Item, int, str | None] | None:
    """The item (with its recipient, for the answer), its donor and its shipment's status,
    the item's row locked for the rest of the transaction.

    On PostgreSQL every write transaction already holds the event chain's lock, taken first
    (donations.db), so writers cannot deadlock whatever rows they lock next; the row lock
    (`FOR NO KEY UPDATE`, which does not block the key-share locks of event inserts that
    refer to the item) keeps the item consistent even without it.
    """
    row = session.execute(_LOCK_ITEM, {"tag": tag}).first()
    if row is None:
        return None
    item, donor_id, status = row
    return item, int(donor_id), status


def _source(actor: Actor, scan_in: ScanRequest) -> Actor:
    offline = scan_in.scanned_at is not None and clock.now() - scan_in.scanned_at > OFFLINE_AFTER
    source = "offline" if offline else ("scan" if actor.source in ("api", "scan") else actor.source)
    return Actor(user=actor.user, source=source)


def _apply(item: Item, action: Action) -> State:
    try:
        return transition(item.state, action)
    except IllegalTransition as exc:
        raise Conflict(_("item {item}: {reason}").format(item=item.tag, reason=exc)) from None


def _write(session: Session, item: Item, **values: object) -> None:
    """Write these columns of the (locked) item with one UPDATE and keep the loaded object
    in step, without the ORM's unit of work, which costs several times the statement on the
    recipient's hot path."""
    session.connection().execute(update(Item).where(Item.id == item.id), values)
    for name, value in values.items():
        set_committed_value(item, name, value)


def _receive(session: Session, scan: _Scan, scan_in: ScanRequest, actor: Actor) -> bool:
    item = scan.item
    condition = scan_in.condition or Condition.good
    if item.state == State.received and item.condition == condition:
        return True
    previous_state = item.state
    _write(
        session,
        item,
        state=_apply(item, Action.receive).value,
        condition=condition.value,
        received_at=scan_in.scanned_at or clock.now(),
    )
    _event(
        session,
        scan,
        scan_in,
        actor,
        "item.received",
        {
            "condition": condition.value,
            "from": previous_state,
        },
    )
    _complete_shipment(session, scan, _source(actor, scan_in))
    return False


def _deploy(session: Session, scan: _Scan, scan_in: ScanRequest, actor: Actor) -> bool:
    item = scan.item
    if item.state == State.deployed and item.site == scan_in.site:
        return True
    _write(
        session,
        item,
        state=_apply(item, Action.deploy).value,
        site=scan_in.site,
        lat=scan_in.lat,
        lon=scan_in.lon,
        deployed_at=scan_in.scanned_at or clock.now(),
    )
    _event(
        session,
        scan,
        scan_in,
        actor,
        "item.deployed",
        {
            "site": item.site,
            "lat": item.lat,
            "lon": item.lon,
        },
    )
    return False


def _event(
    session: Session,
    scan: _Scan,
    scan_in: ScanRequest,
    actor: Actor,
    kind: str,
    data: dict[str, object],
) -> None:
    item = scan.item
    if scan_in.note:
        data["note"] = scan_in.note
    if scan_in.scanned_at:
        data["scanned_at"] = scan_in.scanned_at.isoformat()
    event_service.record(
        session,
        actor=_source(actor, scan_in),
        kind=kind,
        item_id=item.id,
        shipment_id=item.shipment_id,
        pledge_id=item.pledge_id,
        donor_id=scan.donor_id,
        recipient_id=item.recipient_id,
        data=data,
        client_event_id=scan_in.client_event_id,
    )


_WAITING_STATES = [State.in_transit.value, State.missing.value]
_STILL_WAITING = (
    select(Item.id)
    .where(
        Item.shipment_id == bindparam("shipment_id"),
        Item.state.in_(bindparam("states", expanding=True)),
    )
    .limit(1)
)


def _complete_shipment(session: Session, scan: _Scan, actor: Actor) -> None:
    """A dispatched shipment whose every item is received becomes `received` (an event
    from the same source as the scan that completed it)."""
    item = scan.item
    if item.shipment_id is None or scan.shipment_status != ShipmentStatus.dispatched:
        return
    waiting = session.connection().scalar(
        _STILL_WAITING, {"shipment_id": item.shipment_id, "states": _WAITING_STATES}
    )
    if waiting:
        return
    shipment = shipment_repository.lock(session, item.shipment_id)
    if shipment is None or shipment.status != ShipmentStatus.dispatched:
        return
    shipment.status = ShipmentStatus.received.value
    shipment.received_at = clock.now()
    event_service.record(
        session,
        actor=actor,
        kind="shipment.received",
        shipment_id=shipment.id,
        pledge_id=shipment.pledge_id,
        donor_id=shipment.origin_id,
        recipient_id=shipment.destination_id,
        data={"items": shipment_repository.counts(session, shipment.id)[0]},
    )
