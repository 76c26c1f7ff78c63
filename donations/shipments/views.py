"""Shipment pages: list, new shipment, packing and dispatch, and the label sheet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from donations.auth.web import WebActor, WebUser, web_role
from donations.db import SessionDep
from donations.errors import DomainError, Forbidden
from donations.events import repository as event_repository
from donations.events.repository import EventFilter
from donations.events.schemas import EventRead
from donations.i18n import N_
from donations.i18n import gettext as _
from donations.labels import qr
from donations.labels import service as label_service
from donations.labels.sheet import PER_SHEET
from donations.models import Item, Pledge, PledgeStatus, Role, Shipment, ShipmentMode, User
from donations.pledges import repository as pledge_repository
from donations.pledges.views import allocation_rows
from donations.s10 import S10Error, validate_s10
from donations.shipments import repository, service
from donations.shipments.schemas import DispatchRequest, PackRequest, ShipmentCreate
from donations.web import (
    domain_errors,
    field_errors,
    form_dict,
    is_fragment,
    redirect,
    render,
    verify_csrf,
)

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
Staff = Annotated[User, Depends(web_role(Role.donor, Role.coordinator))]
PICK_LIMIT = 200

MODES = [
    ("post", N_("Post")),
    ("air", N_("Air freight")),
    ("sea", N_("Sea freight")),
    ("courier", N_("Courier")),
    ("hand", N_("Hand delivery")),
]


def _modes() -> list[tuple[str, str]]:
    return [(value, _(label)) for value, label in MODES]


@router.get("/shipments", name="shipments:list")
def shipments_list(
    request: Request,
    session: SessionDep,
    user: WebUser,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    rows = repository.list_shipments(
        session, user=user, after=None, limit=500, status=status or None
    )
    return render(
        request,
        "shipments/list.html",
        {"shipments": rows, "status": status or "", "mode_labels": dict(_modes())},
    )


def _open_pledges(session: Session, user: User) -> list[Pledge]:
    rows = pledge_repository.list_pledges(session, user=user, after=None, limit=500)
    return [p for p, _n, _a in rows if p.status == PledgeStatus.open]


def _new_values(
    session: Session, user: User, form: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    pledges = _open_pledges(session, user)
    pledge_id = int(form["pledge_id"]) if form.get("pledge_id", "").isdigit() else None
    if pledge_id is None and len(pledges) == 1:
        pledge_id = pledges[0].id
        form = form | {"pledge_id": str(pledge_id)}
    recipients = []
    if pledge_id is not None and any(p.id == pledge_id for p in pledges):
        recipients = [r for r in allocation_rows(session, pledge_id) if r["remaining"] > 0]
    return {
        "pledges": [(str(p.id), f"{p.title} ({p.donor.code})") for p in pledges],
        "recipients": [
            (
                r["org"].code,
                _("%(name)s: %(n)s remaining") % {"name": r["org"].name, "n": r["remaining"]},
            )
            for r in recipients
        ],
        "modes": _modes(),
        "form": form,
        "errors": errors,
    }


@router.get("/shipments/s10-check", name="shipments:s10_check")
def s10_check(
    request: Request,
    user: Staff,
    tracking_number: Annotated[str, Query(max_length=64)] = "",
    mode: Annotated[str, Query(max_length=16)] = "post",
) -> Response:
    """The inline check of a tracking number as the operator types it."""
    message, ok = "", True
    if tracking_number.strip() and mode == ShipmentMode.post:
        try:
            message = _("Valid UPU S10 number: {number}").format(
                number=validate_s10(tracking_number)
            )
        except S10Error as exc:
            message, ok = str(exc), False
    return render(request, "shipments/_s10.html", {"message": message, "ok": ok, "mode": mode})


@router.get("/shipments/new", name="shipments:new")
def shipment_form(
    request: Request,
    session: SessionDep,
    user: Staff,
    pledge: Annotated[str | None, Query(max_length=20)] = None,
    recipient: Annotated[str | None, Query(max_length=32)] = None,
    pledge_id: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """`?pledge=` from links; `?pledge_id=` is what the form's own select sends (htmx
    refreshes the `recipients` block with it when the pledge changes)."""
    chosen = pledge or pledge_id or ""
    form = {"pledge_id": chosen, "recipient": recipient or "", "mode": "post"}
    block = "recipients" if is_fragment(request, "recipients") else None
    return render(request, "shipments/new.html", _new_values(session, user, form, {}), block=block)


@router.post("/shipments/new", name="shipments:create")
async def shipment_create(
    request: Request, session: SessionDep, user: Staff, actor: WebActor
) -> Response:
    form = form_dict(await request.form())
    errors: dict[str, str] = {}
    try:
        shipment_in = ShipmentCreate(**{k: v for k, v in form.items() if v != ""})
        shipment = service.create(session, shipment_in=shipment_in, user=user, actor=actor)
    except ValidationError as exc:
        errors = field_errors(exc)
    except DomainError as exc:
        errors = domain_errors(exc)
    if errors:
        return render(
            request, "shipments/new.html", _new_values(session, user, form, errors), status_code=422
        )
    return redirect(
        request, f"/shipments/{shipment.id}", message=_("Shipment started: now pack its items.")
    )


def condense(events: Sequence[EventRead]) -> list[EventRead]:
    """One timeline entry for a batch: "20 items packed" rather than twenty lines."""
    out: list[EventRead] = []
    for event in events:
        last = out[-1] if out else None
        if (
            last is not None
            and event.kind.startswith("item.")
            and last.kind == event.kind
            and last.actor == event.actor
            and abs((last.at - event.at).total_seconds()) < 60
            and not event.data.get("note")
        ):
            last.data["count"] = int(last.data.get("count", 1)) + 1
            continue
        out.append(event.model_copy(deep=True))
    return out


def _detail_values(
    session: Session, user: User, shipment: Shipment, **extra: Any
) -> dict[str, Any]:
    items = list(repository.items(session, shipment.id))
    pledge = pledge_repository.get_pledge(session, shipment.pledge_id)
    allocated = pledge_repository.allocated_to(session, shipment.pledge_id, shipment.destination_id)
    assigned = pledge_repository.assigned_to(session, shipment.pledge_id, shipment.destination_id)
    values: dict[str, Any] = {
        "shipment": shipment,
        "pledge": pledge,
        "items": items,
        "received_count": sum(1 for i in items if i.state in ("received", "deployed")),
        "remaining": allocated - assigned,
        "allocated": allocated,
        "history": condense(
            event_repository.page(
                session, user=user, f=EventFilter(shipment_id=shipment.id), after=None, limit=1000
            )
        ),
        "can_pack": service.may_pack(user, shipment) and shipment.status == "draft",
        "form": {
            "tracking_number": shipment.tracking_number or "",
            "carrier": shipment.carrier or "",
            "expected_arrival": shipment.expected_arrival.isoformat()
            if shipment.expected_arrival
            else "",
        },
        "errors": {},
        "pack_errors": {},
        "mode_labels": dict(_modes()),
    }
    if values["can_pack"]:
        values["unpacked"] = session.scalars(
            select(Item)
            .where(Item.pledge_id == shipment.pledge_id, Item.state == "pledged")
            .order_by(Item.id)
            .limit(PICK_LIMIT)
        ).all()
        values["unpacked_count"] = pledge_repository.count_in_state(
            session, shipment.pledge_id, "pledged"
        )
    return values | extra


@router.get("/shipments/{shipment_id}/labels", name="shipments:labels")
def shipment_labels_page(
    shipment_id: int,
    request: Request,
    session: SessionDep,
    user: Staff,
    items: Annotated[str | None, Query(max_length=20000)] = None,
    start: Annotated[int, Query(ge=1, le=PER_SHEET)] = 1,
) -> Response:
    """The print-styled label sheet: the same labels as the PDF, for the browser's print."""
    shipment = service.get_visible(session, shipment_id=shipment_id, user=user)
    if not service.may_pack(user, shipment):
        raise Forbidden(_("Only the donor of this shipment or a coordinator prints its labels."))
    item_ids = label_service.parse_item_ids(items) if items else None
    labels = label_service.shipment_labels(
        session,
        shipment,
        item_ids,
        include_shipment=item_ids is None,
        base_url=request.app.state.settings.public_base_url,
    )
    cells: list[Any] = ["used"] * (start - 1) + [
        {"label": label, "qr": Markup(qr.svg(label.url))} for label in labels
    ]
    sheets = [cells[i : i + PER_SHEET] for i in range(0, len(cells), PER_SHEET)]
    for sheet in sheets:
        sheet.extend([None] * (PER_SHEET - len(sheet)))
    return render(
        request,
        "shipments/labels.html",
        {
            "shipment": shipment,
            "sheets": sheets,
            "count": len(labels),
            "start": start,
            "items": items or "",
            "positions": range(1, PER_SHEET + 1),
        },
    )


@router.get("/shipments/{shipment_id}", name="shipments:detail")
def shipment_detail(
    shipment_id: int, request: Request, session: SessionDep, user: WebUser
) -> Response:
    shipment = service.get_visible(session, shipment_id=shipment_id, user=user)
    if user.role == Role.recipient:
        return redirect(request, f"/t/{shipment.tag}")  # the receiving checklist
    block = "packing" if is_fragment(request, "packing") else None
    return render(
        request, "shipments/detail.html", _detail_values(session, user, shipment), block=block
    )


def _packable(session: Session, shipment_id: int, user: User) -> Shipment:
    shipment = service.get_visible(session, shipment_id=shipment_id, user=user, lock=True)
    if not service.may_pack(user, shipment):
        raise Forbidden(_("Only the donor of this shipment or a coordinator can do this."))
    return shipment


def _after_packing(
    request: Request, session: Session, user: User, shipment: Shipment, message: str
) -> Response:
    if is_fragment(request, "packing"):
        session.flush()
        values = _detail_values(session, user, shipment, notice=message, oob=True)
        return render(request, "shipments/detail.html", values, block="packing")
    return redirect(request, f"/shipments/{shipment.id}#packing", message=message)


@router.post("/shipments/{shipment_id}/pack", name="shipments:pack")
async def shipment_pack(
    shipment_id: int, request: Request, session: SessionDep, user: Staff, actor: WebActor
) -> Response:
    form = await request.form()
    shipment = _packable(session, shipment_id, user)
    ids = [int(v) for v in form.getlist("item_ids") if isinstance(v, str) and v.isdigit()]
    count = form.get("count")
    try:
        if ids:
            pack_in = PackRequest(item_ids=ids)
        else:
            pack_in = PackRequest(
                count=int(count) if isinstance(count, str) and count.isdigit() else 0
            )
        packed = service.pack(session, shipment=shipment, pack_in=pack_in, actor=actor)
    except ValidationError as exc:
        errors = field_errors(exc)
        return _pack_error(
            request, session, user, shipment, errors.get("count") or next(iter(errors.values()))
        )
    except DomainError as exc:
        return _pack_error(request, session, user, shipment, exc.message)
    return _after_packing(
        request, session, user, shipment, _("{n} items packed.").format(n=len(packed))
    )


def _pack_error(
    request: Request, session: Session, user: User, shipment: Shipment, message: str
) -> Response:
    block = "packing" if is_fragment(request, "packing") else None
    values = _detail_values(
        session, user, shipment, pack_errors={"__all__": message}, oob=block is not None
    )
    return render(request, "shipments/detail.html", values, status_code=422, block=block)


@router.post("/shipments/{shipment_id}/items/{item_id}/unpack", name="shipments:unpack")
def shipment_unpack(
    shipment_id: int,
    item_id: int,
    request: Request,
    session: SessionDep,
    user: Staff,
    actor: WebActor,
) -> Response:
    shipment = _packable(session, shipment_id, user)
    service.unpack(session, shipment=shipment, item_id=item_id, actor=actor)
    return _after_packing(request, session, user, shipment, _("Item taken out of the shipment."))


@router.post("/shipments/{shipment_id}/dispatch", name="shipments:dispatch")
async def shipment_dispatch(
    shipment_id: int, request: Request, session: SessionDep, user: Staff, actor: WebActor
) -> Response:
    form = form_dict(await request.form())
    shipment = _packable(session, shipment_id, user)
    errors: dict[str, str] = {}
    try:
        dispatch_in = DispatchRequest(**{k: v for k, v in form.items() if v != ""})
        # The service checks everything before it changes anything: a refusal writes nothing.
        service.dispatch(session, shipment=shipment, dispatch_in=dispatch_in, actor=actor)
    except ValidationError as exc:
        errors = field_errors(exc)
    except DomainError as exc:
        errors = domain_errors(exc)
    if errors:
        values = _detail_values(session, user, shipment, form=form, errors=errors)
        return render(request, "shipments/detail.html", values, status_code=422)
    return redirect(request, f"/shipments/{shipment.id}", message=_("Shipment dispatched."))
