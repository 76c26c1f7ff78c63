"""Column helpers shared by the models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from sqlalchemy import Integer
from sqlalchemy.orm import mapped_column

from donations.clock import now
from donations.db import UTCDateTime

IntPK = Annotated[int, mapped_column(Integer, primary_key=True, autoincrement=True)]
CreatedAt = Annotated[datetime, mapped_column(UTCDateTime(), default=now, nullable=False)]
