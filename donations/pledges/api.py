from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from donations.auth.dependencies import ActorDep, Coordinator, CurrentUser, DonorOrCoordinator
from donations.db import BodyFirst, SessionDep
from donations.errors import Invalid, PayloadTooLarge, parse_json_body
from donations.events.service import Actor
from donations.lifecycle import State
from donations.models import User
from donations.pagination import Page, PageParams, next_cursor, page_params
from donations.pledges import importer, repository, service
from donations.pledges.schemas import (
    AllocationCreate,
    AllocationRead,
    ItemRead,
    ItemsCreate,
    ItemsCreated,
    PledgeCreate,
    PledgeRead,
)

router = APIRouter(prefix="/api/v1/pledges", tags=["pledges"])

PageDep = Annotated[PageParams, Depends(page_params)]
# Ids are INTEGER columns: PostgreSQL refuses to compare one with a larger number (a 500).
MAX_ID = 2**31 - 1
PledgeId = Annotated[int, Path(le=MAX_ID, description="The pledge's id.")]


def _read(session: Session, pledge_id: int, user: User) -> PledgeRead:
    pledge = service.get_visible(session, pledge_id=pledge_id, user=user)
    item_count, allocated = repository.counts(session, pledge.id)
    return PledgeRead.of(pledge, item_count=item_count, allocated=allocated)


@router.get("", name="api:pledges:list", response_model=Page[PledgeRead])
def list_pledges(session: SessionDep, user: DonorOrCoordinator, page: PageDep) -> Page[PledgeRead]:
    """Pledges: a donor's own organisation's, or all for a coordinator."""
    rows = repository.list_pledges(session, user=user, after=page.after, limit=page.limit + 1)
    return Page(
        data=[PledgeRead.of(p, item_count=n, allocated=a) for p, n, a in rows[: page.limit]],
        next=next_cursor([p.id for p, _, _ in rows], page.limit),
    )


@router.post(
    "",
    name="api:pledges:create",
    status_code=status.HTTP_201_CREATED,
    response_model=PledgeRead,
)
def create_pledge(
    pledge_in: PledgeCreate, session: SessionDep, user: DonorOrCoordinator, actor: ActorDep
) -> PledgeRead:
    """Record a pledge. A donor pledges for its own organisation; a coordinator names the
    `donor` organisation code."""
    pledge = service.create(session, pledge_in=pledge_in, actor=actor, user=user)
    return PledgeRead.of(pledge, item_count=0, allocated=0)


@router.get(
    "/{pledge_id}",
    name="api:pledges:detail",
    response_model=PledgeRead,
    responses={404: {"description": "No such pledge, or not yours."}},
)
def get_pledge(pledge_id: PledgeId, session: SessionDep, user: DonorOrCoordinator) -> PledgeRead:
    """One pledge with its item count and allocated total."""
    return _read(session, pledge_id, user)


@router.get("/{pledge_id}/items", name="api:pledges:items", response_model=Page[ItemRead])
def list_items(
    pledge_id: PledgeId,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    state: Annotated[State | None, Query(description="Only items in this state.")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="A serial (or its start) or a tag.")
    ] = None,
) -> Page[ItemRead]:
    """The pledge's items. Donors see their own pledges' items, coordinators all, and a
    recipient only the dispatched items addressed to its organisation."""
    service.require_items_visible(session, pledge_id=pledge_id, user=user)
    rows = repository.list_items(
        session,
        user=user,
        pledge_id=pledge_id,
        after=page.after,
        limit=page.limit + 1,
        state=state.value if state else None,
        q=q,
    )
    return Page(
        data=[ItemRead.of(i) for i in rows[: page.limit]],
        next=next_cursor([i.id for i in rows], page.limit),
    )


ITEMS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            'JSON `{"items": [...]}` or `{"generate": N}`, or a CSV/XLSX file (header '
            "`serial,model,notes`) in the multipart field `file`."
        ),
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ItemsCreate"},
                "examples": {
                    "serials": {
                        "summary": "Units with serial numbers",
                        "value": {
                            "items": [
                                {"serial": "KR7G1A00231", "model": "Samsung DM500TFA"},
                                {"serial": "KR7G1A00232", "model": "Samsung DM500TFA"},
                            ]
                        },
                    },
                    "generate": {"summary": "20 units without serials", "value": {"generate": 20}},
                },
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


@router.post(
    "/{pledge_id}/items",
    name="api:pledges:add_items",
    status_code=status.HTTP_201_CREATED,
    response_model=ItemsCreated,
    openapi_extra=ITEMS_BODY,
    responses={
        409: {"description": "More items than the pledge's quantity, or a closed pledge."},
        413: {"description": "The file is larger than DONATIONS_MAX_UPLOAD_BYTES."},
        422: {"description": "A bad row, named by its number; nothing is written."},
    },
)
async def add_items(
    pledge_id: PledgeId,
    request: Request,
    _body: BodyFirst,
    session: SessionDep,
    user: DonorOrCoordinator,
    actor: ActorDep,
) -> ItemsCreated:
    """Register items of a pledge, all or nothing: serials as JSON, a CSV/XLSX upload, or
    `generate` N items without serials. Serials are unique within a pledge."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        content, filename = await _read_upload(request)
        # Parsing a large XLSX takes a while: not on the event loop.
        rows = await run_in_threadpool(importer.parse_file, content, filename=filename)
        body: ItemsCreate | list[tuple[int, Any]] = rows
    else:
        body = parse_json_body(ItemsCreate, await request.body())
    return await run_in_threadpool(_add_items, session, pledge_id, user, actor, body)


def _add_items(
    session: Session,
    pledge_id: int,
    user: User,
    actor: Actor,
    body: ItemsCreate | list[tuple[int, Any]],
) -> ItemsCreated:
    pledge = service.get_visible(session, pledge_id=pledge_id, user=user, lock=True)
    if isinstance(body, list):
        created = service.add_items(
            session,
            pledge=pledge,
            rows=[row for _, row in body],
            row_names=[importer.row_name(line) for line, _ in body],
            actor=actor,
            origin="file",
        )
    elif body.generate is not None:
        created = service.generate_items(
            session, pledge=pledge, count=body.generate, model=body.model, actor=actor
        )
    else:
        created = service.add_items(
            session, pledge=pledge, rows=body.items or [], actor=actor, origin="json"
        )
    item_count, _ = repository.counts(session, pledge.id)
    return ItemsCreated(
        created=len(created), item_count=item_count, data=[ItemRead.of(i) for i in created]
    )


async def _read_upload(request: Request) -> tuple[bytes, str | None]:
    limit = request.app.state.settings.max_upload_bytes
    form = await request.form()  # read by `BodyFirst`
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid("send the CSV or XLSX file in the multipart field 'file'", field="file")
    content = await upload.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(f"larger than the limit of {limit // 1024} KiB", field="file")
    return content, upload.filename


@router.get(
    "/{pledge_id}/allocations",
    name="api:pledges:allocations",
    response_model=list[AllocationRead],
)
def list_allocations(
    pledge_id: PledgeId, session: SessionDep, user: DonorOrCoordinator
) -> list[AllocationRead]:
    """How the pledge is allocated to recipient posts."""
    service.get_visible(session, pledge_id=pledge_id, user=user)
    return [AllocationRead.of(a) for a in repository.list_allocations(session, pledge_id)]


@router.post(
    "/{pledge_id}/allocations",
    name="api:pledges:allocate",
    status_code=status.HTTP_201_CREATED,
    response_model=AllocationRead,
    responses={409: {"description": "The allocations would add up to more than the pledge."}},
)
def allocate(
    pledge_id: PledgeId,
    allocation_in: AllocationCreate,
    session: SessionDep,
    user: Coordinator,
    actor: ActorDep,
) -> AllocationRead:
    """Allocate units of the pledge to a recipient post (coordinator only). Several
    allocations to one recipient add up; all together never exceed the pledge's quantity."""
    pledge = service.get_visible(session, pledge_id=pledge_id, user=user, lock=True)
    allocation = service.allocate(session, pledge=pledge, allocation_in=allocation_in, actor=actor)
    return AllocationRead.of(allocation)
