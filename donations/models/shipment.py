from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donations.db import Base, UTCDateTime
from donations.models._types import CreatedAt, IntPK
from donations.models.organisation import Organisation


class ShipmentStatus(StrEnum):
    draft = "draft"
    dispatched = "dispatched"
    received = "received"
    closed = "closed"


class ShipmentMode(StrEnum):
    post = "post"
    air = "air"
    sea = "sea"
    courier = "courier"
    hand = "hand"


class Shipment(Base):
    __tablename__ = "shipments"
    __table_args__ = (Index("ix_shipments_status_expected", "status", "expected_arrival"),)

    id: Mapped[IntPK]
    tag: Mapped[str] = mapped_column(String(12), unique=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    origin_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    destination_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    carrier: Mapped[str | None] = mapped_column(String(120))
    mode: Mapped[str] = mapped_column(String(16))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    expected_arrival: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ShipmentStatus.draft.value)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[CreatedAt]

    origin: Mapped[Organisation] = relationship(foreign_keys=[origin_id], lazy="raise_on_sql")
    destination: Mapped[Organisation] = relationship(
        foreign_keys=[destination_id], lazy="raise_on_sql"
    )
