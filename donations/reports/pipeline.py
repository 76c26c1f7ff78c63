"""The whole programme's pipeline counts, cheaply: for coordinators, on the dashboard and
in `GET /api/v1/stats` (`reports.service.stats`).

The same figures as the general, scoped count (`reports.service.scoped_stats`) gives for a
coordinator (the tests compare them), counted so that SQLite and PostgreSQL read the items
through the existing covering indexes instead of joining every item to its pledge and
organisations (about 24 ms against 88 ms at 100,000 items):

1. allocations by donor and recipient country (few rows);
2. pledge quantities by donor (few rows);
3. items by pledge and state (`ix_items_pledge_state`), then by donor;
4. items by recipient and state (`ix_items_recipient_state`), then by country;
5. the same for the items of cancelled pledges, taken off (4) (an index search per pledge);
6. the damaged items, by donor and country (one pass over the items, no index on condition).

A cancelled pledge counts for nothing: neither its quantity, nor its allocations, nor its
items. `pledged` by country is what is allocated there.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, aliased

from donations.models import Allocation, Item, Organisation, Pledge, PledgeStatus
from donations.reports.schemas import Stages, Stats

ITEM_STAGES = ("packed", "in_transit", "received", "missing", "deployed")
CANCELLED = PledgeStatus.cancelled.value


def programme_stats(session: Session) -> Stats:
    """Everything in the programme (the coordinator's scope), in six aggregate queries."""
    total = Stages()
    by_country: dict[str, Stages] = defaultdict(Stages)
    by_donor: dict[str, Stages] = defaultdict(Stages)
    donor, recipient = aliased(Organisation), aliased(Organisation)
    live = Pledge.status != CANCELLED

    allocated = (
        select(donor.code, recipient.country, func.sum(Allocation.quantity))
        .join(Pledge, Pledge.id == Allocation.pledge_id)
        .join(donor, donor.id == Pledge.donor_id)
        .join(recipient, recipient.id == Allocation.recipient_id)
        .where(live)
        .group_by(donor.code, recipient.country)
    )
    for code, country, quantity in session.execute(allocated):
        for stages in (total, by_country[country], by_donor[code]):
            stages.allocated += int(quantity)
        by_country[country].pledged += int(quantity)

    pledged = (
        select(donor.code, func.sum(Pledge.quantity))
        .join(donor, donor.id == Pledge.donor_id)
        .where(live)
        .group_by(donor.code)
    )
    for code, quantity in session.execute(pledged):
        total.pledged += int(quantity)
        by_donor[code].pledged += int(quantity)

    for code, state, count in session.execute(_items_by_donor(donor, live)):
        for stages in (total, by_donor[code]):
            _add(stages, state, int(count))
    for country, state, count in session.execute(_items_by_country(recipient)):
        _add(by_country[country], state, int(count))
    for country, state, count in session.execute(_cancelled_items_by_country(recipient)):
        _add(by_country[country], state, -int(count))
    for code, country, count in session.execute(_damaged(donor, recipient, live)):
        groups = [total, by_donor[code]] + ([by_country[country]] if country else [])
        for stages in groups:
            stages.damaged += int(count)
    empty = Stages()
    return Stats(
        total=total,
        # A country reached only by a cancelled pledge's items nets out to nothing.
        by_country={k: v for k, v in sorted(by_country.items()) if v != empty},
        by_donor=dict(sorted(by_donor.items())),
    )


def _add(stages: Stages, state: str, count: int) -> None:
    if state in ITEM_STAGES:
        setattr(stages, state, getattr(stages, state) + count)


def _items_by_donor(donor: Any, live: ColumnElement[bool]) -> Select[Any]:
    per_pledge = (
        select(Item.pledge_id, Item.state, func.count().label("n"))
        .where(Item.state != "pledged")
        .group_by(Item.pledge_id, Item.state)
        .subquery()
    )
    return (
        select(donor.code, per_pledge.c.state, func.sum(per_pledge.c.n))
        .join(Pledge, Pledge.id == per_pledge.c.pledge_id)
        .join(donor, donor.id == Pledge.donor_id)
        .where(live)
        .group_by(donor.code, per_pledge.c.state)
    )


def _items_by_country(recipient: Any) -> Select[Any]:
    per_recipient = (
        select(Item.recipient_id, Item.state, func.count().label("n"))
        .where(Item.recipient_id.is_not(None), Item.state != "pledged")
        .group_by(Item.recipient_id, Item.state)
        .subquery()
    )
    return (
        select(recipient.country, per_recipient.c.state, func.sum(per_recipient.c.n))
        .join(recipient, recipient.id == per_recipient.c.recipient_id)
        .group_by(recipient.country, per_recipient.c.state)
    )


def _cancelled_items_by_country(recipient: Any) -> Select[Any]:
    cancelled = select(Pledge.id).where(Pledge.status == CANCELLED)
    return (
        select(recipient.country, Item.state, func.count())
        .join(recipient, recipient.id == Item.recipient_id)
        .where(Item.pledge_id.in_(cancelled), Item.state != "pledged")
        .group_by(recipient.country, Item.state)
    )


def _damaged(donor: Any, recipient: Any, live: ColumnElement[bool]) -> Select[Any]:
    return (
        select(donor.code, recipient.country, func.count())
        .select_from(Item)
        .join(Pledge, Pledge.id == Item.pledge_id)
        .join(donor, donor.id == Pledge.donor_id)
        .outerjoin(recipient, recipient.id == Item.recipient_id)
        .where(Item.condition == "damaged", Item.state != "pledged", live)
        .group_by(donor.code, recipient.country)
    )
