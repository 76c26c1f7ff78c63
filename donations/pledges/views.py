"""Pledge pages: the list, a new pledge, and a pledge with its items and allocations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from donations.auth.web import WebActor, web_role
from donations.db import BodyFirst, SessionDep
from donations.errors import DomainError, Invalid
from donations.i18n import gettext as _
from donations.models import Allocation, Item, Organisation, Pledge, Role, User
from donations.pledges import importer, repository, service
from donations.pledges.schemas import AllocationCreate, PledgeCreate
from donations.shipments import repository as shipment_repository
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
CoordinatorUser = Annotated[User, Depends(web_role(Role.coordinator))]
ITEMS_PAGE = 50


@router.get("/pledges", name="pledges:list")
def pledges_list(request: Request, session: SessionDep, user: Staff) -> Response:
    rows = repository.list_pledges(session, user=user, after=None, limit=500)
    return render(request, "pledges/list.html", {"pledges": rows})


def _donor_options(session: Session) -> list[tuple[str, str]]:
    orgs = session.scalars(
        select(Organisation).where(Organisation.kind != "recipient").order_by(Organisation.name)
    )
    return [(o.code, f"{o.name} ({o.code})") for o in orgs]


@router.get("/pledges/new", name="pledges:new")
def pledge_form(request: Request, session: SessionDep, user: Staff) -> Response:
    return render(
        request,
        "pledges/new.html",
        {"form": {"category": "computer"}, "errors": {}, "donors": _donor_options(session)},
    )


@router.post("/pledges/new", name="pledges:create")
async def pledge_create(
    request: Request, session: SessionDep, user: Staff, actor: WebActor
) -> Response:
    form = form_dict(await request.form())
    errors: dict[str, str] = {}
    try:
        pledge_in = PledgeCreate(**{k: v for k, v in form.items() if v != ""})
        pledge = service.create(session, pledge_in=pledge_in, actor=actor, user=user)
    except ValidationError as exc:
        errors = field_errors(exc)
    except DomainError as exc:
        errors = domain_errors(exc)
    if errors:
        return render(
            request,
            "pledges/new.html",
            {"form": form, "errors": errors, "donors": _donor_options(session)},
            status_code=422,
        )
    return redirect(request, f"/pledges/{pledge.id}", message=_("Pledge recorded."))


def allocation_rows(session: Session, pledge_id: int) -> list[dict[str, Any]]:
    """Per recipient: allocated, already packed or sent, and what remains."""
    allocated = dict(
        session.execute(
            select(Allocation.recipient_id, func.sum(Allocation.quantity))
            .where(Allocation.pledge_id == pledge_id)
            .group_by(Allocation.recipient_id)
        ).all()
    )
    assigned = dict(
        session.execute(
            select(Item.recipient_id, func.count(Item.id))
            .where(Item.pledge_id == pledge_id, Item.recipient_id.is_not(None))
            .group_by(Item.recipient_id)
        ).all()
    )
    orgs = session.scalars(
        select(Organisation).where(Organisation.id.in_(list(allocated))).order_by(Organisation.name)
    )
    return [
        {
            "org": org,
            "allocated": int(allocated[org.id]),
            "assigned": int(assigned.get(org.id, 0)),
            "remaining": int(allocated[org.id]) - int(assigned.get(org.id, 0)),
        }
        for org in orgs
    ]


def _detail_values(
    session: Session,
    user: User,
    pledge: Pledge,
    *,
    after: int | None = None,
    q: str | None = None,
    state: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    item_count, allocated = repository.counts(session, pledge.id)
    items = repository.list_items(
        session, user=user, pledge_id=pledge.id, after=after, limit=ITEMS_PAGE + 1, state=state, q=q
    )
    recipients = session.scalars(
        select(Organisation).where(Organisation.kind == "recipient").order_by(Organisation.name)
    )
    values: dict[str, Any] = {
        "pledge": pledge,
        "item_count": item_count,
        "allocated": allocated,
        "allocations": allocation_rows(session, pledge.id),
        "items": items[:ITEMS_PAGE],
        "next_after": items[ITEMS_PAGE - 1].id if len(items) > ITEMS_PAGE else None,
        "q": q or "",
        "state_filter": state or "",
        "shipments": shipment_repository.list_shipments(
            session, user=user, after=None, limit=100, pledge_id=pledge.id
        ),
        "recipients": [(o.code, f"{o.name} ({o.code})") for o in recipients],
        "alloc_form": {},
        "alloc_errors": {},
        "import_errors": {},
        "can_allocate": user.role == Role.coordinator and pledge.status == "open",
        "can_import": pledge.status == "open" and item_count < pledge.quantity,
    }
    return values | extra


@router.get("/pledges/{pledge_id}", name="pledges:detail")
def pledge_detail(
    pledge_id: int,
    request: Request,
    session: SessionDep,
    user: Staff,
    after: Annotated[int | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    state: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    pledge = service.get_visible(session, pledge_id=pledge_id, user=user)
    values = _detail_values(session, user, pledge, after=after, q=q, state=state)
    block = "items" if is_fragment(request, "items") else None
    return render(request, "pledges/detail.html", values, block=block)


@router.post("/pledges/{pledge_id}/items", name="pledges:import")
async def pledge_import(
    pledge_id: int,
    request: Request,
    _body: BodyFirst,
    session: SessionDep,
    user: Staff,
    actor: WebActor,
) -> Response:
    form = await request.form()  # read by `BodyFirst`
    upload = form.get("file")
    pledge = service.get_visible(session, pledge_id=pledge_id, user=user, lock=True)
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise Invalid(_("choose a CSV or XLSX file"), field="file")
        limit = request.app.state.settings.max_upload_bytes
        content = await upload.read(limit + 1)
        if len(content) > limit:
            raise Invalid(
                _("larger than the limit of {size} KiB").format(size=limit // 1024), field="file"
            )
        # Off the event loop: a large workbook takes a while to read.
        rows = await run_in_threadpool(importer.parse_file, content, filename=upload.filename)
        created = service.add_items(
            session,
            pledge=pledge,
            rows=[row for _line, row in rows],
            row_names=[importer.row_name(line) for line, _row in rows],
            actor=actor,
            origin="file",
        )
    except DomainError as exc:
        values = _detail_values(session, user, pledge, import_errors={"file": _import_error(exc)})
        return render(request, "pledges/detail.html", values, status_code=422)
    return redirect(
        request,
        f"/pledges/{pledge.id}",
        message=_("{n} items registered; nothing else changed.").format(n=len(created)),
    )


def _import_error(exc: DomainError) -> str:
    """The message for the import form: with the row at fault ("row 7: serial is empty"),
    without the name of the form's only field."""
    if exc.field is None or exc.field == "file":
        return exc.message
    # Translators: where in the file (e.g. "row 7") and what is wrong there.
    return _("{where}: {message}").format(where=exc.field, message=exc.message)


@router.post("/pledges/{pledge_id}/allocations", name="pledges:allocate")
async def pledge_allocate(
    pledge_id: int, request: Request, session: SessionDep, user: CoordinatorUser, actor: WebActor
) -> Response:
    form = form_dict(await request.form())
    pledge = service.get_visible(session, pledge_id=pledge_id, user=user, lock=True)
    errors: dict[str, str] = {}
    try:
        allocation_in = AllocationCreate(
            recipient=form.get("recipient", ""), quantity=form.get("quantity") or 0
        )
        allocation = service.allocate(
            session, pledge=pledge, allocation_in=allocation_in, actor=actor
        )
    except ValidationError as exc:
        errors = field_errors(exc)
    except DomainError as exc:
        errors = domain_errors(exc)
    if errors:
        values = _detail_values(session, user, pledge, alloc_form=form, alloc_errors=errors)
        return render(request, "pledges/detail.html", values, status_code=422)
    return redirect(
        request,
        f"/pledges/{pledge.id}#allocations",
        message=_("{n} units allocated to {org}.").format(
            n=allocation.quantity, org=allocation.recipient.name
        ),
    )
