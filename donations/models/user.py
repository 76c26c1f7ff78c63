from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donations.db import Base, UTCDateTime
from donations.models._types import CreatedAt, IntPK
from donations.models.organisation import Organisation


class Role(StrEnum):
    coordinator = "coordinator"
    donor = "donor"
    recipient = "recipient"


class User(Base):
    __tablename__ = "users"

    id: Mapped[IntPK]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[CreatedAt]
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation | None] = relationship(lazy="raise_on_sql")

    @property
    def org_code(self) -> str | None:
        return self.organisation.code if self.organisation is not None else None
