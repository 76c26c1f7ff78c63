"""Receiving and deploying items by their tag: the recipient's hot path. Never commits.

Safe to repeat: the same `client_event_id`, or a receive of an item already received in
the same condition (a deploy already made at the same site), answers the item as it is and
writes nothing. The item's row is locked first (and its shipment only when the scan
completes it), so two concurrent scans of one item write one event. That order is the
reverse of the packers' (shipment, then items); it cannot deadlock because every write
transaction holds the event chain's lock before any row lock (donations.db), and on SQLite
writers are serialised anyway.

A scan runs in a Core connection's transaction with prepared statements
(donations.prepared), without ORM objects: the API's scan, the hottest request, opens that
transaction itself (`Database.write`); a page scans within its session
(`scan_in_session`). One select finds and locks the item with all that the checks and the
answer need, then one update and one event insert; the shipment is looked at only when the
item belongs to a dispatched one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from donations import clock, scope
from donations.db import lock_event_chain
from donations.errors import Conflict, Invalid, NotFound
from donations.events import service as event_service
from donations.events.service import Actor
from donations.i18n import gettext as _
from donations.lifecycle import Action, Condition, IllegalTransition, State, transition
from donations.models import Event, Item, Organisation, Pledge, Shipment, ShipmentStatus
from donations.prepared import Prepared
from donations.scans.schemas import ScanRequest
from donations.scope import Principal
from donations.tags import InvalidTag, normalize_tag

# A scan made this long before it reaches the server came from a device's offline queue.
OFFLINE_AFTER = timedelta(minutes=10)


@dataclass
class ScannedItem:
    """The item as the scan found it and left it, with what the checks need."""

    id: int
    tag: str
    serial: str | None
    model: str | None
    state: str
    condition: str | None
    pledge_id: int
    recipient_id: int | None
    shipment_id: int | None
    site: str | None
    lat: float | None
    lon: float | None
    received_at: datetime | None
    deployed_at: datetime | None
    # Not columns of the item:
    recipient: str | None  # the recipient post's code
    donor_id: int
    shipment_status: str | None


def scan(
    conn: Connection, *, scan_in: ScanRequest, user: Principal, actor: Actor
) -> tuple[ScannedItem, bool]:
    """Apply a scan; returns the item and whether the request was a repeat (nothing written)."""
    try:
        tag = normalize_tag(scan_in.tag)
    except InvalidTag as exc:
        raise Invalid(str(exc), field="tag") from None
    lock_event_chain(conn)  # PostgreSQL: before any row lock (a no-op if already held)
    row = _LOCK_ITEM.first(conn, tag=tag)
    item = ScannedItem(*row) if row is not None else None
    if item is None or not scope.can_see_item(
        user, state=item.state, recipient_id=item.recipient_id, donor_id=item.donor_id
    ):
        raise NotFound(_("no item with tag {tag}").format(tag=tag))
    if scan_in.client_event_id:
        previous = _ITEM_OF_CLIENT_KEY.first(conn, key=actor.client_key(scan_in.client_event_id))
        if previous is not None:
            if previous[0] != item.id:
                raise Conflict(
                    _("{key!r} was already used for another item").format(
                        key=scan_in.client_event_id
                    ),
                    field="client_event_id",
                )
            return item, True
    if scan_in.action == "receive":
        return item, _receive(conn, item, scan_in, actor)
    return item, _deploy(conn, item, scan_in, actor)


def scan_in_session(
    session: Session, *, scan_in: ScanRequest, user: Principal, actor: Actor
) -> tuple[ScannedItem, bool]:
    """`scan` in a session's transaction (the pages). What the session holds of the item
    and its shipment is read again, when next used, as the scan left it."""
    session.flush()
    item, replayed = scan(session.connection(), scan_in=scan_in, user=user, actor=actor)
    if not replayed:
        for cls, ident, names in (
            (Item, item.id, _ITEM_WRITTEN),
            (Shipment, item.shipment_id, _SHIPMENT_WRITTEN),
        ):
            if ident is None:
                continue
            loaded = session.identity_map.get(Session.identity_key(cls, ident))
            if loaded is not None:
                session.expire(loaded, names)
    return item, replayed


_ITEM_COLUMNS = [f.name for f in fields(ScannedItem) if f.name in Item.__table__.columns]
_LOCK_ITEM = Prepared(
    select(
        *(getattr(Item, name) for name in _ITEM_COLUMNS),
        Organisation.code,
        Pledge.donor_id,
        Shipment.status,
    )
    .join(Pledge, Pledge.id == Item.pledge_id)
    .outerjoin(Shipment, Shipment.id == Item.shipment_id)
    .outerjoin(Organisation, Organisation.id == Item.recipient_id)
    .where(Item.tag == bindparam("tag"))
    # On PostgreSQL every write transaction already holds the event chain's lock, taken
    # first (donations.db), so writers cannot deadlock whatever rows they lock next. The row
    # lock (`FOR NO KEY UPDATE`, which does not block the key-share locks of event inserts
    # that refer to the item) keeps the item consistent even without it.
    .with_for_update(of=Item, key_share=True)
)
"""A `ScannedItem`: the item, its recipient's code, its donor and its shipment's status; the
item's row locked for the rest of the transaction."""

_ITEM_OF_CLIENT_KEY = Prepared(select(Event.item_id).where(Event.client_key == bindparam("key")))

_ITEM_WRITTEN = ["state", "condition", "received_at", "site", "lat", "lon", "deployed_at"]
_RECEIVE = Prepared(
    update(Item).where(Item.id == bindparam("item_id")),
    columns=["state", "condition", "received_at"],
)
_DEPLOY = Prepared(
    update(Item).where(Item.id == bindparam("item_id")),
    columns=["state", "site", "lat", "lon", "deployed_at"],
)


def _source(actor: Actor, scan_in: ScanRequest) -> Actor:
    offline = scan_in.scanned_at is not None and clock.now() - scan_in.scanned_at > OFFLINE_AFTER
    source = "offline" if offline else ("scan" if actor.source in ("api", "scan") else actor.source)
    return Actor(user=actor.user, source=source)


def _apply(item: ScannedItem, action: Action) -> str:
    try:
        return transition(item.state, action).value
    except IllegalTransition as exc:
        raise Conflict(_("item {item}: {reason}").format(item=item.tag, reason=exc)) from None


def _write(conn: Connection, statement: Prepared, item: ScannedItem, **values: Any) -> None:
    """Write these columns of the (locked) item, and keep `item` in step."""
    statement.run(conn, item_id=item.id, **values)
    for name, value in values.items():
        setattr(item, name, value)


def _receive(conn: Connection, item: ScannedItem, scan_in: ScanRequest, actor: Actor) -> bool:
    condition = scan_in.condition or Condition.good
    if item.state == State.received and item.condition == condition:
        return True
    previous_state = item.state
    _write(
        conn,
        _RECEIVE,
        item,
        state=_apply(item, Action.receive),
        condition=condition.value,
        received_at=scan_in.scanned_at or clock.now(),
    )
    _event(
        conn,
        item,
        scan_in,
        actor,
        "item.received",
        {"condition": condition.value, "from": previous_state},
    )
    _complete_shipment(conn, item, _source(actor, scan_in))
    return False


def _deploy(conn: Connection, item: ScannedItem, scan_in: ScanRequest, actor: Actor) -> bool:
    if item.state == State.deployed and item.site == scan_in.site:
        return True
    _write(
        conn,
        _DEPLOY,
        item,
        state=_apply(item, Action.deploy),
        site=scan_in.site,
        lat=scan_in.lat,
        lon=scan_in.lon,
        deployed_at=scan_in.scanned_at or clock.now(),
    )
    _event(
        conn,
        item,
        scan_in,
        actor,
        "item.deployed",
        {"site": item.site, "lat": item.lat, "lon": item.lon},
    )
    return False


def _event(
    conn: Connection,
    item: ScannedItem,
    scan_in: ScanRequest,
    actor: Actor,
    kind: str,
    data: dict[str, Any],
) -> None:
    if scan_in.note:
        data["note"] = scan_in.note
    if scan_in.scanned_at:
        data["scanned_at"] = scan_in.scanned_at.isoformat()
    event_service.append(
        conn,
        actor=_source(actor, scan_in),
        kind=kind,
        item_id=item.id,
        shipment_id=item.shipment_id,
        pledge_id=item.pledge_id,
        donor_id=item.donor_id,
        recipient_id=item.recipient_id,
        data=data,
        client_event_id=scan_in.client_event_id,
    )


_STILL_WAITING = Prepared(
    select(Item.id)
    .where(
        Item.shipment_id == bindparam("shipment_id"),
        or_(Item.state == State.in_transit.value, Item.state == State.missing.value),
    )
    .limit(1)
)
_LOCK_SHIPMENT = Prepared(
    select(Shipment.status, Shipment.pledge_id, Shipment.origin_id, Shipment.destination_id)
    .where(Shipment.id == bindparam("shipment_id"))
    # Like the packers' lock (donations.shipments.repository.lock).
    .with_for_update(key_share=True)
)
_SHIPMENT_WRITTEN = ["status", "received_at"]
_CLOSE_SHIPMENT = Prepared(
    update(Shipment).where(Shipment.id == bindparam("shipment_id")), columns=_SHIPMENT_WRITTEN
)
_ITEM_COUNT = Prepared(
    select(func.count(Item.id)).where(Item.shipment_id == bindparam("shipment_id"))
)


def _complete_shipment(conn: Connection, item: ScannedItem, actor: Actor) -> None:
    """A dispatched shipment whose every item is received becomes `received` (an event
    from the same source as the scan that completed it)."""
    shipment_id = item.shipment_id
    if shipment_id is None or item.shipment_status != ShipmentStatus.dispatched:
        return
    if _STILL_WAITING.scalar(conn, shipment_id=shipment_id) is not None:
        return
    shipment = _LOCK_SHIPMENT.first(conn, shipment_id=shipment_id)
    if shipment is None or shipment[0] != ShipmentStatus.dispatched:
        return
    _, pledge_id, origin_id, destination_id = shipment
    _CLOSE_SHIPMENT.run(
        conn, shipment_id=shipment_id, status=ShipmentStatus.received.value, received_at=clock.now()
    )
    item.shipment_status = ShipmentStatus.received.value
    event_service.append(
        conn,
        actor=actor,
        kind="shipment.received",
        shipment_id=shipment_id,
        pledge_id=pledge_id,
        donor_id=origin_id,
        recipient_id=destination_id,
        data={"items": _ITEM_COUNT.scalar(conn, shipment_id=shipment_id)},
    )
