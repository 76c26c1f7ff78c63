"""The audit trail `/events`: scoped to the viewer, filterable, each event linked to its subject."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from donations.auth.web import WebUser
from donations.db import SessionDep
from donations.events import repository
from donations.events.repository import EventFilter
from donations.events.schemas import EventRead
from donations.models import Item, Organisation, Shipment
from donations.tags import InvalidTag, normalize_tag
from donations.web import is_fragment, render, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
PAGE = 50
KINDS = (
    "pledge.created",
    "items.imported",
    "allocation.created",
    "shipment.created",
    "item.packed",
    "item.unpacked",
    "shipment.dispatched",
    "item.dispatched",
    "item.received",
    "item.missing",
    "item.deployed",
    "shipment.received",
    "shipment.closed",
    "organisation.created",
    "user.created",
)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _subject_tags(session: Session, events: list[EventRead]) -> dict[str, dict[int, str]]:
    item_ids = {e.item_id for e in events if e.item_id}
    shipment_ids = {e.shipment_id for e in events if e.shipment_id}
    items = (
        dict(session.execute(select(Item.id, Item.tag).where(Item.id.in_(item_ids))).all())
        if item_ids
        else {}
    )
    shipments = (
        dict(
            session.execute(
                select(Shipment.id, Shipment.tag).where(Shipment.id.in_(shipment_ids))
            ).all()
        )
        if shipment_ids
        else {}
    )
    return {"items": items, "shipments": shipments}


def _find_tag(session: Session, raw: str | None) -> tuple[int | None, int | None, bool]:
    """(item id, shipment id, bad) for a tag typed in the filter."""
    if not raw:
        return None, None, False
    try:
        tag = normalize_tag(raw)
    except InvalidTag:
        return None, None, True
    item_id = session.scalar(select(Item.id).where(Item.tag == tag))
    if item_id is not None:
        return item_id, None, False
    shipment_id = session.scalar(select(Shipment.id).where(Shipment.tag == tag))
    return None, shipment_id, shipment_id is None


@router.get("/events", name="events:list")
def events_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    organisation: Annotated[str | None, Query(max_length=32)] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    shipment: Annotated[int | None, Query()] = None,
    item: Annotated[int | None, Query()] = None,
    pledge: Annotated[int | None, Query()] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
    after: Annotated[int | None, Query()] = None,
) -> Response:
    item_id, shipment_id, bad_tag = _find_tag(session, tag)
    org = None
    if organisation:
        org = session.scalar(select(Organisation).where(Organisation.code == organisation.upper()))
    since_day, until_day = _day(since), _day(until)
    f = EventFilter(
        kind=kind or None,
        item_id=item_id or item,
        shipment_id=shipment_id or shipment,
        pledge_id=pledge,
        organisation_id=org.id if org else None,
        since=datetime.combine(since_day, time.min, UTC) if since_day else None,
        until=datetime.combine(until_day + timedelta(days=1), time.min, UTC) if until_day else None,
    )
    # An organisation that does not exist matches nothing (rather than lifting the filter).
    nothing = bad_tag or (bool(organisation) and org is None)
    rows: list[EventRead] = (
        []
        if nothing
        else list(repository.page(session, user=user, f=f, after=after, limit=PAGE + 1))
    )
    events = rows[:PAGE]
    filters: dict[str, Any] = {
        "organisation": organisation or "",
        "tag": tag or "",
        "kind": kind or "",
        "since": since or "",
        "until": until or "",
        "shipment": shipment or "",
        "item": item or "",
        "pledge": pledge or "",
    }
    values = {
        "events": events,
        "next_after": events[-1].id if len(rows) > PAGE else None,
        "filters": filters,
        "query": urlencode({k: v for k, v in filters.items() if v}),
        "kinds": KINDS,
        "organisations": session.scalars(select(Organisation).order_by(Organisation.name)).all(),
        "subjects": _subject_tags(session, events),
        "bad_tag": bad_tag,
    }
    block = "results" if is_fragment(request, "results") else None
    return render(request, "events/list.html", values, block=block)
