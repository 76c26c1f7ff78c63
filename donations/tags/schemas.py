from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from donations.pledges.schemas import ItemRead
from donations.shipments.schemas import ShipmentRead


class TagPublic(BaseModel):
    """What anyone who scans a tag may see: what it is, who gave it, under which programme."""

    type: Literal["item", "shipment"]
    tag: str
    title: str = Field(description="The pledge's title.")
    category: str
    model: str | None
    donor: str = Field(description="Donor organisation code.")
    donor_name: str
    programme: str | None


class TagItem(ItemRead):
    type: Literal["item"] = "item"
    title: str
    category: str
    donor: str
    donor_name: str
    programme: str | None


class TagShipment(ShipmentRead):
    type: Literal["shipment"] = "shipment"
    title: str
    category: str
    donor: str
    donor_name: str
    programme: str | None


TagRead = TagItem | TagShipment | TagPublic
