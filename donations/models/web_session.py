from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donations.db import Base, UTCDateTime
from donations.models._types import CreatedAt, IntPK
from donations.models.user import User


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so
    signing out (or an administrator) can end the session for good."""

    __tablename__ = "web_sessions"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="raise_on_sql")
