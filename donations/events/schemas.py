from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from donations.models import Event


class EventRead(BaseModel):
    id: int
    at: datetime
    kind: str = Field(description="e.g. `item.received`, `shipment.dispatched`.")
    actor: str | None = Field(description="Username of who did it.")
    organisation: str | None = Field(description="Code of the actor's organisation.")
    item_id: int | None
    shipment_id: int | None
    pledge_id: int | None
    source: str = Field(description="`web`, `api`, `scan`, `offline` or `cli`.")
    data: dict[str, Any]

    @classmethod
    def of(cls, event: Event, *, actor: str | None, organisation: str | None) -> EventRead:
        return cls(
            id=event.id,
            at=event.at,
            kind=event.kind,
            actor=actor,
            organisation=organisation,
            item_id=event.item_id,
            shipment_id=event.shipment_id,
            pledge_id=event.pledge_id,
            source=event.source,
            data=event.data or {},
        )
