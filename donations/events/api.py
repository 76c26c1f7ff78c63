from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from donations.auth.dependencies import CurrentUser
from donations.db import SessionDep
from donations.events import repository
from donations.events.repository import EventFilter
from donations.events.schemas import EventRead
from donations.organisations import service as organisation_service
from donations.pagination import Page, PageParams, next_cursor, page_params

router = APIRouter(prefix="/api/v1/events", tags=["events"])


@router.get("", name="api:events:list", response_model=Page[EventRead])
def list_events(
    session: SessionDep,
    user: CurrentUser,
    page: Annotated[PageParams, Depends(page_params)],
    kind: Annotated[
        str | None,
        Query(
            max_length=40, description="`item.received`, or a prefix ending in a dot: `shipment.`"
        ),
    ] = None,
    item_id: int | None = None,
    shipment_id: int | None = None,
    pledge_id: int | None = None,
    organisation: Annotated[
        str | None, Query(description="Organisation code (actor, donor or recipient).")
    ] = None,
    since: Annotated[
        datetime | None, Query(description="Only events at or after this time.")
    ] = None,
    until: Annotated[datetime | None, Query(description="Only events before this time.")] = None,
) -> Page[EventRead]:
    """The audit trail, newest first, cursor-paged, scoped to the caller: a donor sees its
    pledges' events, a recipient what concerns its organisation, a coordinator all."""
    org_id = None
    if organisation:
        org_id = organisation_service.require_by_code(
            session, organisation, field="organisation"
        ).id
    f = EventFilter(
        kind=kind,
        item_id=item_id,
        shipment_id=shipment_id,
        pledge_id=pledge_id,
        organisation_id=org_id,
        since=since,
        until=until,
    )
    rows = repository.page(session, user=user, f=f, after=page.after, limit=page.limit + 1)
    return Page(data=list(rows[: page.limit]), next=next_cursor([e.id for e in rows], page.limit))
