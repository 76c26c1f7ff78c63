from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from donations.db import Base
from donations.models._types import CreatedAt, IntPK


class OrganisationKind(StrEnum):
    donor = "donor"
    recipient = "recipient"
    partner = "partner"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(120))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[CreatedAt]
