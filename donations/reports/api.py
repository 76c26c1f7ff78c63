from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from donations import scope
from donations.auth.dependencies import CurrentUser, DonorOrCoordinator
from donations.db import SessionDep
from donations.events import repository as event_repository
from donations.events.schemas import EventRead
from donations.models import Item
from donations.pledges.schemas import ItemRead
from donations.reports import service
from donations.reports.schemas import Stats

router = APIRouter(prefix="/api/v1", tags=["reports"])

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "CSV with a header row."}
}


@router.get("/stats", name="api:stats", response_model=Stats)
def stats(session: SessionDep, user: CurrentUser) -> Stats:
    """Pipeline counts overall, by recipient country and by donor, scoped to the caller.

    `pledged` and `allocated` are sums of quantities (for a recipient, and in `by_country`,
    `pledged` is what is allocated there); `packed`, `in_transit`, `received`, `missing`,
    `deployed` count items now in that state; `damaged` counts items received damaged,
    whatever their state now.
    """
    return service.stats(session, user=user)


def _csv(header: list[str], rows: Iterable[list[object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _item_rows(session: Session, user: CurrentUser) -> Iterator[list[object]]:
    stmt = (
        select(Item)
        .options(joinedload(Item.recipient))
        .where(scope.items(user))
        .order_by(Item.id)
        .execution_options(yield_per=1000)
    )
    fields = list(ItemRead.model_fields)
    for item in session.scalars(stmt):
        data = ItemRead.of(item).model_dump(mode="json")
        yield [_cell(data[f]) for f in fields]


@router.get(
    "/exports/items.csv",
    name="api:exports:items",
    response_class=StreamingResponse,
    responses=CSV_RESPONSE,
)
def export_items(session: SessionDep, user: DonorOrCoordinator) -> StreamingResponse:
    """Every item in scope (a donor: its own), one row each with the Item shape's fields."""
    rows = list(_item_rows(session, user))  # read inside the request's transaction
    return StreamingResponse(
        _csv(list(ItemRead.model_fields), rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="items.csv"'},
    )


@router.get(
    "/exports/events.csv",
    name="api:exports:events",
    response_class=StreamingResponse,
    responses=CSV_RESPONSE,
)
def export_events(session: SessionDep, user: DonorOrCoordinator) -> StreamingResponse:
    """The audit trail in scope, oldest first, one row each with the Event shape's fields
    (`data` as JSON)."""
    fields = list(EventRead.model_fields)
    rows = [
        [_cell(e.model_dump(mode="json")[f]) for f in fields]
        for e in event_repository.all_in_scope(session, user=user)
    ]
    return StreamingResponse(
        _csv(fields, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="events.csv"'},
    )
