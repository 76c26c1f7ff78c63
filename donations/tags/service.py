"""What a tag names, and how much of it the caller may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from donations import scope
from donations.errors import Invalid, NotFound
from donations.i18n import gettext as _
from donations.models import Item, Pledge, Shipment, User
from donations.tags.codes import InvalidTag, normalize_tag


@dataclass
class Found:
    pledge: Pledge
    item: Item | None = None
    shipment: Shipment | None = None

    @property
    def kind(self) -> str:
        return "item" if self.item is not None else "shipment"

    def visible_to(self, user: User | None) -> bool:
        if user is None:
            return False
        if self.item is not None:
            return scope.can_see_item(
                user,
                state=self.item.state,
                recipient_id=self.item.recipient_id,
                donor_id=self.pledge.donor_id,
            )
        assert self.shipment is not None
        return scope.can_see_shipment(user, self.shipment)


def parse(raw: str) -> str:
    try:
        return normalize_tag(raw)
    except InvalidTag as exc:
        raise Invalid(str(exc), field="tag") from None


def find(session: Session, raw: str) -> Found:
    """The item or shipment with this tag (404 when there is none)."""
    tag = parse(raw)
    item = session.scalars(
        select(Item).options(joinedload(Item.recipient)).where(Item.tag == tag)
    ).first()
    if item is not None:
        return Found(pledge=_pledge(session, item.pledge_id), item=item)
    shipment = session.scalars(
        select(Shipment)
        .options(joinedload(Shipment.origin), joinedload(Shipment.destination))
        .where(Shipment.tag == tag)
    ).first()
    if shipment is not None:
        return Found(pledge=_pledge(session, shipment.pledge_id), shipment=shipment)
    raise NotFound(_("no item or shipment with tag {tag}").format(tag=tag))


def _pledge(session: Session, pledge_id: int) -> Pledge:
    return session.scalars(
        select(Pledge).options(joinedload(Pledge.donor)).where(Pledge.id == pledge_id)
    ).one()
