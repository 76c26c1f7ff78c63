"""The app's clock: UTC now, which the demo loader can move into the past."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

# How far ahead of the server a device clock may run before its times are refused.
ALLOWED_CLOCK_SKEW = timedelta(minutes=5)

_frozen: ContextVar[datetime | None] = ContextVar("frozen_now", default=None)


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    frozen = _frozen.get()
    return frozen if frozen is not None else datetime.now(UTC)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Make `now()` answer `moment` inside the block (demo data, tests)."""
    token = _frozen.set(as_utc(moment))
    try:
        yield
    finally:
        _frozen.reset(token)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
