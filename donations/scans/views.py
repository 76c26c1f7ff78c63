"""Continuous scanning (`/scan`): a recipient receives a whole carton, tag after tag."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from donations import scope
from donations.auth.web import WebActor, web_role
from donations.db import SessionDep
from donations.errors import Conflict, Invalid, NotFound
from donations.i18n import gettext as _
from donations.models import Role, Shipment, ShipmentStatus, User
from donations.scans import service as scan_service
from donations.scans.schemas import ScanRequest
from donations.shipments import repository as shipment_repository
from donations.tags import is_tag, normalize_tag
from donations.tags import service as tag_service
from donations.web import hx_redirect, is_fragment, redirect, render, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
Scanner = Annotated[User, Depends(web_role(Role.recipient, Role.coordinator))]

KINDS = ("ok", "repeat", "unexpected", "unknown", "shipment")


@dataclass
class Outcome:
    kind: str  # one of KINDS
    message: str
    tag: str | None = None
    shipment_id: int | None = None


def _current_shipment(session: Session, user: User, shipment_id: int | None) -> Shipment | None:
    if shipment_id is None:
        return None
    shipment = shipment_repository.get(session, shipment_id)
    if shipment is None or not scope.can_see_shipment(user, shipment):
        return None
    return shipment


def _values(
    session: Session, user: User, shipment: Shipment | None, outcome: Outcome | None
) -> dict[str, object]:
    values: dict[str, object] = {
        "shipment": shipment,
        "outcome": outcome,
        "client_event_id": secrets.token_hex(8),
        "incoming": shipment_repository.list_shipments(
            session, user=user, after=None, limit=30, status=ShipmentStatus.dispatched.value
        ),
    }
    if shipment is not None:
        values["count"], values["received"] = shipment_repository.counts(session, shipment.id)
    return values


@router.get("/scan", name="scan:page")
def scan_page(
    request: Request,
    session: SessionDep,
    user: Scanner,
    shipment: str | None = None,
    last: str | None = None,
    result: str | None = None,
) -> Response:
    if request.headers.get("hx-boosted") == "true":
        # A link boosted by htmx would swap the body only, and the page's scanner script (in
        # <head>) would not run: htmx runs no scripts from swapped content here. Load it fully.
        query = f"?{request.url.query}" if request.url.query else ""
        return hx_redirect(request, request.url.path + query)
    # `?shipment=` (the chooser's "Any shipment") or anything else not a number: none chosen.
    current = _current_shipment(session, user, _shipment_id(shipment))
    outcome = None
    if result in KINDS and last and (result == "unknown" or is_tag(last)):
        # Only an unknown tag is echoed as typed; the others are tags, shown grouped.
        tag = last if result == "unknown" else normalize_tag(last)
        outcome = Outcome(kind=result, message=_message(result, tag), tag=tag[:40])
    return render(request, "scan/page.html", _values(session, user, current, outcome))


def _shipment_id(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


@router.post("/scan", name="scan:submit")
def scan_submit(
    request: Request,
    session: SessionDep,
    user: Scanner,
    actor: WebActor,
    tag: Annotated[str, Form(max_length=200)] = "",
    shipment: Annotated[str, Form(max_length=20)] = "",
    client_event_id: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    current = _current_shipment(session, user, _shipment_id(shipment))
    outcome = _receive(session, user, actor, tag, current, client_event_id or None)
    if outcome.shipment_id is not None and (current is None or outcome.kind == "shipment"):
        # A shipment label selects that shipment; an item picks its own when none is chosen.
        current = _current_shipment(session, user, outcome.shipment_id)
    if is_fragment(request, "scan-result"):
        session.flush()
        return render(
            request, "scan/page.html", _values(session, user, current, outcome), block="result"
        )
    query: dict[str, str | int] = {"last": outcome.tag or "", "result": outcome.kind}
    if current is not None:
        query["shipment"] = current.id
    # Encoded: an unknown tag is echoed as typed, and may hold "#", "&" or spaces.
    return redirect(request, "/scan?" + urlencode(query))


def _tag_from(raw: str) -> str:
    """A scanned URL (`https://.../T/7KQ29XHM3PDA`) or a typed tag."""
    text = raw.strip()
    for marker in ("/t/", "/T/"):
        if marker in text:
            text = text.rsplit(marker, 1)[1]
    return text.split("?")[0].split("#")[0].strip("/")


def _message(kind: str, tag: str) -> str:
    return {
        "ok": _("Received"),
        "repeat": _("Already received"),
        "unexpected": _("Received, but it belongs to another shipment"),
        "unknown": _("Unknown tag: not addressed to you, or mistyped"),
        "shipment": _("Shipment selected: now scan its items"),
    }[kind]


def _receive(
    session: Session,
    user: User,
    actor: WebActor,
    raw: str,
    current: Shipment | None,
    client_event_id: str | None,
) -> Outcome:
    try:
        found = tag_service.find(session, _tag_from(raw))
    except (Invalid, NotFound):
        return Outcome("unknown", _message("unknown", raw.strip()[:40]), raw.strip()[:40])
    if not found.visible_to(user):
        return Outcome("unknown", _message("unknown", raw.strip()[:40]), raw.strip()[:40])
    if found.shipment is not None:
        return Outcome(
            "shipment",
            _message("shipment", found.shipment.tag),
            found.shipment.tag,
            found.shipment.id,
        )
    item = found.item
    assert item is not None
    if item.state in ("received", "deployed"):
        return Outcome("repeat", _message("repeat", item.tag), item.tag, item.shipment_id)
    try:
        scan_service.scan_in_session(
            session,
            scan_in=ScanRequest(tag=item.tag, action="receive", client_event_id=client_event_id),
            user=user,
            actor=actor,
        )
    except Conflict:
        return Outcome(
            "unknown", _("This item cannot be received now."), item.tag, item.shipment_id
        )
    kind = "unexpected" if current is not None and item.shipment_id != current.id else "ok"
    return Outcome(kind, _message(kind, item.tag), item.tag, item.shipment_id)
