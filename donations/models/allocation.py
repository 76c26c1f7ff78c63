from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donations.db import Base
from donations.models._types import CreatedAt, IntPK
from donations.models.organisation import Organisation


class Allocation(Base):
    """A quantity of a pledge promised to one recipient. Several may add up for one recipient."""

    __tablename__ = "allocations"
    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),)

    id: Mapped[IntPK]
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[CreatedAt]

    recipient: Mapped[Organisation] = relationship(lazy="raise_on_sql")
