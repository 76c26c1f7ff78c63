"""What the coordinator's dashboard shows, read with a fixed number of aggregate queries.

Whatever the number of items, shipments or events, a full dashboard costs:

1. the pipeline counts (`pipeline.programme_stats`: six GROUP BY queries, the same figures
   as `reports.service.stats` read through covering indexes);
2. the organisations (names, countries, coordinates: reference data, a few dozen rows);
3. the overdue shipments, the most late first (their number comes from 4);
4. the shipments grouped by route and status, with their item counts;
5. the latest events, with the tags of their subjects.

The htmx refresh of the events block runs only the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from donations import scope
from donations.models import Event, Item, Organisation, Shipment, ShipmentStatus, User
from donations.reports import pipeline
from donations.reports.schemas import Stats

OVERDUE_LIMIT = 6  # the most late; the page says how many more there are
EVENTS_LIMIT = 10  # rows shown, after grouping
EVENTS_READ = 80  # events read to fill them
# Drawn in this order, so the statuses that need attention end up on top.
ROUTE_STATUSES = ("closed", "received", "draft", "dispatched", "overdue")


@dataclass(frozen=True)
class OverdueShipment:
    id: int
    tag: str
    origin: str
    destination: str
    country: str
    carrier: str | None
    mode: str
    tracking_number: str | None
    expected_arrival: date
    dispatched_at: datetime | None
    days_late: int
    items: int


@dataclass(frozen=True)
class Overdue:
    shipments: list[OverdueShipment]
    total: int


@dataclass(frozen=True)
class RouteGroup:
    """Shipments from one organisation to another in one status (`overdue` is a status here)."""

    origin_id: int
    destination_id: int
    status: str
    shipments: int
    items: int
    tag: str | None  # the shipment's tag when the group is a single shipment


@dataclass(frozen=True)
class LatestEvent:
    id: int
    at: datetime
    kind: str
    actor: str | None
    organisation: str | None
    source: str
    data: dict[str, Any]
    item_tag: str | None
    item_model: str | None
    shipment_tag: str | None
    count: int = 1  # consecutive events of one kind, by one actor, for one shipment
    at_least: bool = False  # the group may go on past the events read

    @property
    def group_key(self) -> tuple[object, ...] | None:
        """Item events that are one action on many items (pack, dispatch, receive, deploy at
        a site) share a key; other events are shown one by one."""
        if not self.kind.startswith("item.") or self.shipment_tag is None:
            return None
        data = self.data
        return (self.kind, self.actor, self.shipment_tag, data.get("site"), data.get("condition"))


@dataclass(frozen=True)
class Dashboard:
    stats: Stats
    organisations: dict[int, Organisation]
    overdue: Overdue
    routes: list[RouteGroup]
    events: list[LatestEvent]
    shipments_by_status: dict[str, int] = field(default_factory=dict)

    @property
    def organisations_by_code(self) -> dict[str, Organisation]:
        return {org.code: org for org in self.organisations.values()}


def load(session: Session, *, user: User, today: date) -> Dashboard:
    routes = route_groups(session, user=user, today=today)
    by_status: dict[str, int] = dict.fromkeys(ROUTE_STATUSES, 0)
    for group in routes:
        by_status[group.status] = by_status.get(group.status, 0) + group.shipments
    return Dashboard(
        stats=pipeline.programme_stats(session),  # the dashboard is the coordinators'
        organisations=organisations(session),
        overdue=Overdue(
            shipments=overdue(session, user=user, today=today),
            total=by_status.get("overdue", 0),
        ),
        routes=routes,
        events=latest_events(session, user=user),
        shipments_by_status=by_status,
    )


def organisations(session: Session) -> dict[int, Organisation]:
    """Every organisation (reference data: names, countries, coordinates)."""
    return {org.id: org for org in session.scalars(select(Organisation).order_by(Organisation.id))}


def _overdue_condition(today: date) -> Any:
    return and_(
        Shipment.status == ShipmentStatus.dispatched.value,
        Shipment.expected_arrival.is_not(None),
        Shipment.expected_arrival < today,
    )


def overdue(
    session: Session, *, user: User, today: date, limit: int = OVERDUE_LIMIT
) -> list[OverdueShipment]:
    """Dispatched shipments whose expected arrival has passed, the latest first (their
    number is in `route_groups`)."""
    origin, destination = aliased(Organisation), aliased(Organisation)
    item_count = (
        select(func.count(Item.id)).where(Item.shipment_id == Shipment.id).scalar_subquery()
    )
    stmt = (
        select(
            Shipment.id,
            Shipment.tag,
            origin.name,
            destination.name,
            destination.country,
            Shipment.carrier,
            Shipment.mode,
            Shipment.tracking_number,
            Shipment.expected_arrival,
            Shipment.dispatched_at,
            item_count,
        )
        .join(origin, origin.id == Shipment.origin_id)
        .join(destination, destination.id == Shipment.destination_id)
        .where(_overdue_condition(today), scope.shipments(user))
        .order_by(Shipment.expected_arrival, Shipment.id)
        .limit(limit)
    )
    return [
        OverdueShipment(
            id=row[0],
            tag=row[1],
            origin=row[2],
            destination=row[3],
            country=row[4],
            carrier=row[5],
            mode=row[6],
            tracking_number=row[7],
            expected_arrival=row[8] or today,  # never None: the query asks for a date
            dispatched_at=row[9],
            days_late=(today - (row[8] or today)).days,
            items=int(row[10] or 0),
        )
        for row in session.execute(stmt)
    ]


def route_groups(session: Session, *, user: User, today: date) -> list[RouteGroup]:
    """Shipments counted by origin, destination and status (overdue apart), with their
    items (counted in the `ix_items_shipment_state` index, shipment by shipment)."""
    items = select(func.count(Item.id)).where(Item.shipment_id == Shipment.id).scalar_subquery()
    status = case((_overdue_condition(today), literal("overdue")), else_=Shipment.status).label(
        "shown"
    )
    stmt = (
        select(
            Shipment.origin_id,
            Shipment.destination_id,
            status,
            func.count(Shipment.id),
            func.coalesce(func.sum(items), 0),
            func.min(Shipment.tag),
        )
        .where(scope.shipments(user))
        .group_by(Shipment.origin_id, Shipment.destination_id, status)
    )
    groups = [
        RouteGroup(
            origin_id=origin_id,
            destination_id=destination_id,
            status=str(shown),
            shipments=int(count),
            items=int(items),
            tag=tag if int(count) == 1 else None,
        )
        for origin_id, destination_id, shown, count, items, tag in session.execute(stmt)
    ]
    order = {name: index for index, name in enumerate(ROUTE_STATUSES)}
    return sorted(groups, key=lambda g: (order.get(g.status, -1), g.origin_id, g.destination_id))


def latest_events(
    session: Session, *, user: User, limit: int = EVENTS_LIMIT, read: int = EVENTS_READ
) -> list[LatestEvent]:
    """The newest events in the caller's scope, with the tags of the item or shipment;
    a run of the same action on many items of a shipment is one row with its count."""
    return group_events(_read_events(session, user=user, limit=read), limit=limit, read=read)


def group_events(events: list[LatestEvent], *, limit: int, read: int) -> list[LatestEvent]:
    groups: list[LatestEvent] = []
    for event in events:
        key = event.group_key
        last = groups[-1] if groups else None
        if key is not None and last is not None and last.group_key == key:
            groups[-1] = replace(last, count=last.count + 1)
        elif len(groups) == limit:
            return groups
        else:
            groups.append(event)
    if groups and len(events) == read and groups[-1].group_key is not None:
        groups[-1] = replace(groups[-1], at_least=True)
    return groups


def _read_events(session: Session, *, user: User, limit: int) -> list[LatestEvent]:
    stmt = (
        select(Event, User.username, Organisation.code, Item.tag, Item.model, Shipment.tag)
        .outerjoin(User, User.id == Event.actor_id)
        .outerjoin(Organisation, Organisation.id == Event.organisation_id)
        .outerjoin(Item, Item.id == Event.item_id)
        .outerjoin(Shipment, Shipment.id == Event.shipment_id)
        .where(scope.events(user))
        .order_by(Event.id.desc())
        .limit(limit)
    )
    return [
        LatestEvent(
            id=event.id,
            at=event.at,
            kind=event.kind,
            actor=actor,
            organisation=org,
            source=event.source,
            data=event.data or {},
            item_tag=item_tag,
            item_model=item_model,
            shipment_tag=shipment_tag,
        )
        for event, actor, org, item_tag, item_model, shipment_tag in session.execute(stmt)
    ]
