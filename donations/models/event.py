from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from donations.db import Base, UTCDateTime
from donations.models._types import IntPK


class Event(Base):
    """The append-only record. Rows are inserted and never updated or deleted.

    `donor_id` and `recipient_id` name the organisations the event concerns, so the audit trail
    is scoped with one indexed filter. `client_key` is "<scope>:<client_event_id>", where the
    scope is the actor's organisation (or the user, for a coordinator without one); it is unique,
    so a replayed request writes nothing.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_donor_id", "donor_id", "id"),
        Index("ix_events_recipient_id", "recipient_id", "id"),
        Index("ix_events_item_id", "item_id", "id"),
        Index("ix_events_shipment_id", "shipment_id", "id"),
        Index("ix_events_pledge_id", "pledge_id", "id"),
    )

    id: Mapped[IntPK]
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"))
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledges.id"))
    source: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # The hash chain (donations.events.chain): this event's hash and the one before it.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64), unique=True)
