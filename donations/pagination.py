"""Cursor paging for lists: `{"data": [...], "next": CURSOR_OR_NULL}`.

A cursor is opaque to clients; here it is the id of the last row of the page.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from donations.errors import Invalid

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
MAX_CURSOR = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


class Page(BaseModel, Generic[T]):
    data: list[T]
    next: str | None = Field(
        None, description="Pass as ?after= for the next page; null at the end."
    )


class PageParams(BaseModel):
    after: int | None
    limit: int


def page_params(
    after: Annotated[
        str | None, Query(description="The `next` cursor of the previous page.")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")
    ] = DEFAULT_LIMIT,
) -> PageParams:
    cursor: int | None = None
    if after is not None:
        try:
            cursor = int(after)
        except ValueError:
            cursor = None
        if cursor is None or not 0 <= cursor <= MAX_CURSOR:
            raise Invalid(f"not a cursor this list gave out: {after!r}", field="after")
    return PageParams(after=cursor, limit=limit)


def next_cursor(ids: list[int], limit: int) -> str | None:
    """The cursor after a page fetched with limit + 1 rows (the extra row means "more")."""
    return str(ids[limit - 1]) if len(ids) > limit else None
