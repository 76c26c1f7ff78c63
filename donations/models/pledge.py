from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donations.db import Base
from donations.models._types import CreatedAt, IntPK
from donations.models.organisation import Organisation


class PledgeStatus(StrEnum):
    open = "open"
    closed = "closed"
    cancelled = "cancelled"


class Pledge(Base):
    __tablename__ = "pledges"
    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),)

    id: Mapped[IntPK]
    donor_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    programme: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=PledgeStatus.open.value)
    created_at: Mapped[CreatedAt]

    donor: Mapped[Organisation] = relationship(lazy="raise_on_sql")
