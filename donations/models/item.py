from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donations.db import Base, UTCDateTime
from donations.models._types import CreatedAt, IntPK
from donations.models.organisation import Organisation


class Item(Base):
    """One physical unit of a pledge. `state` follows donations.lifecycle."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("pledge_id", "serial", name="uq_items_pledge_serial"),
        Index("ix_items_pledge_state", "pledge_id", "state"),
        Index("ix_items_recipient_state", "recipient_id", "state"),
        Index("ix_items_shipment_state", "shipment_id", "state"),
        # Covers the pipeline counts (stats, dashboard) in one index scan.
        Index(
            "ix_items_pledge_recipient_state_condition",
            "pledge_id",
            "recipient_id",
            "state",
            "condition",
        ),
    )

    id: Mapped[IntPK]
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"))
    tag: Mapped[str] = mapped_column(String(12), unique=True)
    serial: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pledged")
    condition: Mapped[str | None] = mapped_column(String(16))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    site: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deployed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[CreatedAt]

    recipient: Mapped[Organisation | None] = relationship(lazy="raise_on_sql")
