"""The scan landing page `/t/{tag}` (and `/T/{tag}`, the upper-case form QR codes use):
what the tag names, with the actions the viewer may take now."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from donations.auth.web import WebActor, WebUser, WebUserOptional
from donations.db import SessionDep
from donations.errors import Forbidden, Invalid, NotFound
from donations.events import repository as event_repository
from donations.events.repository import EventFilter
from donations.i18n import gettext as _
from donations.lifecycle import State
from donations.models import Role, ShipmentStatus, User
from donations.scans import service as scan_service
from donations.scans.schemas import ScanRequest
from donations.scans.service import ScannedItem
from donations.shipments import repository as shipment_repository
from donations.shipments import service as shipment_service
from donations.tags import service
from donations.tags.service import Found
from donations.web import field_errors, is_fragment, redirect, render, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)


def _found(session: Session, tag: str) -> Found:
    try:
        return service.find(session, tag)
    except Invalid:
        raise NotFound(
            _("This is not a tag of ours. Check the characters under the QR code.")
        ) from None
    except NotFound:
        raise NotFound(_("No item or shipment has this tag.")) from None


def _visible(found: Found, user: User | None) -> Found:
    """Signed-in users see only what is theirs; anything else is a 404 that reveals nothing."""
    if user is not None and not found.visible_to(user):
        raise NotFound(_("No item or shipment has this tag."))
    return found


def may_scan(user: User | None, found: Found) -> bool:
    if user is None or not found.visible_to(user):
        return False
    return (
        user.role == Role.coordinator
        or (
            user.role == Role.recipient
            and found.item is not None
            and found.item.recipient_id == user.organisation_id
        )
        or (
            user.role == Role.recipient
            and found.shipment is not None
            and found.shipment.destination_id == user.organisation_id
        )
    )


def _history(session: Session, user: User, found: Found) -> list[Any]:
    """An item's own events; a shipment's own events (`shipment.*`): its items' events
    (one per item, packed, dispatched, marked missing) would bury them, and the checklist
    already tells what happened to each item."""
    if found.item is not None:
        f = EventFilter(item_id=found.item.id)
    else:
        assert found.shipment is not None
        f = EventFilter(shipment_id=found.shipment.id, kind="shipment.")
    return list(event_repository.page(session, user=user, f=f, after=None, limit=30))


def _page_values(session: Session, user: User | None, found: Found, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "found": found,
        "pledge": found.pledge,
        "item": found.item,
        "shipment": found.shipment,
        "can_scan": may_scan(user, found),
        "client_event_id": secrets.token_hex(8),
        "errors": {},
        "form": {},
    }
    if user is not None:
        values["history"] = _history(session, user, found)
    if found.item is not None and found.item.shipment_id is not None and user is not None:
        values["item_shipment"] = shipment_repository.get(session, found.item.shipment_id)
    if found.shipment is not None and user is not None:
        items = shipment_repository.items(session, found.shipment.id)
        received = [i for i in items if i.state in ("received", "deployed")]
        values |= {
            "items": items,
            "received_count": len(received),
            "waiting": [i for i in items if i.state in ("in_transit", "missing")],
            "damaged_count": sum(1 for i in items if i.condition == "damaged"),
        }
    return values | extra


@router.get("/t/{tag}", name="tags:page")
@router.get("/T/{tag}", name="tags:page_upper")
def tag_page(tag: str, request: Request, session: SessionDep, user: WebUserOptional) -> Response:
    found = _visible(_found(session, tag), user)
    return render(request, "tags/page.html", _page_values(session, user, found))


def _scan(
    request: Request,
    session: Session,
    user: User,
    actor: WebActor,
    tag: str,
    fields: dict[str, Any],
) -> Response:
    found = _visible(_found(session, tag), user)
    if found.item is None or not may_scan(user, found):
        raise Forbidden(_("Only the receiving post can do this."))
    try:
        scan_in = ScanRequest(tag=found.item.tag, **fields)
    except ValidationError as exc:
        errors = field_errors(exc)
        values = _page_values(session, user, found, errors=errors, form=fields)
        return render(
            request,
            "tags/page.html",
            values,
            status_code=422,
            block="panel" if is_fragment(request, "panel") else None,
        )
    item, replayed = scan_service.scan_in_session(session, scan_in=scan_in, user=user, actor=actor)
    message, kind = _done_message(item, replayed)
    if is_fragment(request, "panel"):
        session.flush()
        values = _page_values(
            session, user, _found(session, item.tag), notice=message, notice_kind=kind
        )
        return render(request, "tags/page.html", values, block="panel")
    return redirect(request, f"/t/{item.tag}", message=message, kind=kind)


def _done_message(item: ScannedItem, replayed: bool) -> tuple[str, str]:
    """What to tell the person, and how (`success`, or `warn` for damage)."""
    if replayed:
        return _("Already recorded; nothing changed."), "success"
    if item.state == State.deployed:
        return _("Deployed at {site}.").format(site=item.site), "success"
    if item.condition == "damaged":
        return _("Received, marked as damaged."), "warn"
    return _("Received in good condition."), "success"


@router.post("/t/{tag}/receive", name="tags:receive")
def receive(
    tag: str,
    request: Request,
    session: SessionDep,
    user: WebUser,
    actor: WebActor,
    condition: Annotated[str, Form()] = "good",
    note: Annotated[str, Form(max_length=2000)] = "",
    client_event_id: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    fields = {
        "action": "receive",
        "condition": condition,
        "note": note or None,
        "client_event_id": client_event_id or None,
    }
    return _scan(request, session, user, actor, tag, fields)


@router.post("/t/{tag}/deploy", name="tags:deploy")
def deploy(
    tag: str,
    request: Request,
    session: SessionDep,
    user: WebUser,
    actor: WebActor,
    site: Annotated[str, Form(max_length=300)] = "",
    lat: Annotated[str, Form(max_length=40)] = "",
    lon: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    client_event_id: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    fields = {
        "action": "deploy",
        "site": site,
        "lat": lat.strip() or None,
        "lon": lon.strip() or None,
        "note": note or None,
        "client_event_id": client_event_id or None,
    }
    return _scan(request, session, user, actor, tag, fields)


@router.post("/t/{tag}/close", name="tags:close")
def close(
    tag: str, request: Request, session: SessionDep, user: WebUser, actor: WebActor
) -> Response:
    found = _visible(_found(session, tag), user)
    if found.shipment is None or not may_scan(user, found):
        raise Forbidden(_("Only the receiving post can close a shipment."))
    shipment = shipment_service.get_visible(
        session, shipment_id=found.shipment.id, user=user, lock=True
    )
    if shipment.status == ShipmentStatus.draft:
        raise Forbidden(_("This shipment has not been dispatched yet."))
    missing = shipment_service.close(session, shipment=shipment, actor=actor)
    message = (
        _("Shipment closed; {n} items marked missing.").format(n=missing)
        if missing
        else _("Shipment closed.")
    )
    return redirect(request, f"/t/{shipment.tag}", message=message)
