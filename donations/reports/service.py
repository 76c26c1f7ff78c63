"""The pipeline counts: a constant number of aggregate queries, whatever the data size."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from donations import scope
from donations.models import Allocation, Item, Organisation, Pledge, PledgeStatus, Role, User
from donations.reports import pipeline
from donations.reports.schemas import Stages, Stats

ITEM_STAGES = ("packed", "in_transit", "received", "missing", "deployed")


def stats(session: Session, *, user: User) -> Stats:
    """Counts of the caller's pledges, allocations and items. A cancelled pledge counts for
    nothing: neither its quantity, nor its allocations, nor its items. A coordinator sees
    the whole programme, counted the cheaper way (`pipeline.programme_stats`)."""
    if user.role == Role.coordinator:
        return pipeline.programme_stats(session)
    return scoped_stats(session, user=user)


def scoped_stats(session: Session, *, user: User) -> Stats:
    """`stats` for any caller, scoped in the query: for a coordinator, the reference the
    cheaper count is tested against."""
    total = Stages()
    by_country: dict[str, Stages] = defaultdict(Stages)
    by_donor: dict[str, Stages] = defaultdict(Stages)
    donor_org, recipient_org = aliased(Organisation), aliased(Organisation)
    live = Pledge.status != PledgeStatus.cancelled.value
    is_recipient = user.role == Role.recipient

    # Allocations by donor and recipient country (and, for recipients, their "pledged").
    alloc = (
        select(donor_org.code, recipient_org.country, func.sum(Allocation.quantity))
        .join(Pledge, Pledge.id == Allocation.pledge_id)
        .join(donor_org, donor_org.id == Pledge.donor_id)
        .join(recipient_org, recipient_org.id == Allocation.recipient_id)
        .where(live)
        .group_by(donor_org.code, recipient_org.country)
    )
    if is_recipient:
        alloc = alloc.where(Allocation.recipient_id == (user.organisation_id or -1))
    else:
        alloc = alloc.where(scope.pledges(user))
    for donor, country, quantity in session.execute(alloc):
        for stages in (total, by_country[country], by_donor[donor]):
            stages.allocated += int(quantity)
        by_country[country].pledged += int(quantity)
        if is_recipient:
            total.pledged += int(quantity)
            by_donor[donor].pledged += int(quantity)

    if not is_recipient:
        pledged = (
            select(donor_org.code, func.sum(Pledge.quantity))
            .join(donor_org, donor_org.id == Pledge.donor_id)
            .where(live, scope.pledges(user))
            .group_by(donor_org.code)
        )
        for donor, quantity in session.execute(pledged):
            total.pledged += int(quantity)
            by_donor[donor].pledged += int(quantity)

    # Items by donor, recipient country, state and condition.
    items = (
        select(
            donor_org.code,
            recipient_org.country,
            Item.state,
            Item.condition,
            func.count(Item.id),
        )
        .join(Pledge, Pledge.id == Item.pledge_id)
        .join(donor_org, donor_org.id == Pledge.donor_id)
        .outerjoin(recipient_org, recipient_org.id == Item.recipient_id)
        .where(live, Item.state != "pledged", scope.items(user))
        .group_by(donor_org.code, recipient_org.country, Item.state, Item.condition)
    )
    for donor, country, state, condition, count in session.execute(items):
        groups = [total, by_donor[donor]] + ([by_country[country]] if country else [])
        for stages in groups:
            if state in ITEM_STAGES:
                setattr(stages, state, getattr(stages, state) + int(count))
            if condition == "damaged":
                stages.damaged += int(count)
    return Stats(
        total=total,
        by_country=dict(sorted(by_country.items())),
        by_donor=dict(sorted(by_donor.items())),
    )
