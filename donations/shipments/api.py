from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.orm import Session

from donations.auth.dependencies import (
    ActorDep,
    CurrentUser,
    DonorOrCoordinator,
    RecipientOrCoordinator,
)
from donations.db import SessionDep
from donations.errors import Forbidden
from donations.models import Shipment, ShipmentStatus, User
from donations.pagination import Page, PageParams, next_cursor, page_params
from donations.pledges.schemas import ItemRead
from donations.shipments import repository, service
from donations.shipments.schemas import (
    DispatchRequest,
    PackRequest,
    PackResult,
    ShipmentCreate,
    ShipmentRead,
)

router = APIRouter(prefix="/api/v1/shipments", tags=["shipments"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such shipment, or not visible to you."}
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Not allowed in the shipment's or item's current state."}
}


def read(session: Session, shipment: Shipment) -> ShipmentRead:
    item_count, received = repository.counts(session, shipment.id)
    return ShipmentRead.of(shipment, item_count=item_count, received_count=received)


def _packable(session: Session, shipment_id: int, user: User) -> Shipment:
    shipment = service.get_visible(session, shipment_id=shipment_id, user=user, lock=True)
    if not service.may_pack(user, shipment):
        raise Forbidden("only the donor of this shipment or a coordinator can do this")
    return shipment


@router.get("", name="api:shipments:list", response_model=Page[ShipmentRead])
def list_shipments(
    session: SessionDep,
    user: CurrentUser,
    page: Annotated[PageParams, Depends(page_params)],
    status_: Annotated[ShipmentStatus | None, Query(alias="status")] = None,
    pledge_id: int | None = None,
) -> Page[ShipmentRead]:
    """Shipments, newest first: a donor's from its organisation, a recipient's addressed to
    it (once dispatched), all for a coordinator."""
    rows = repository.list_shipments(
        session,
        user=user,
        after=page.after,
        limit=page.limit + 1,
        status=status_.value if status_ else None,
        pledge_id=pledge_id,
    )
    return Page(
        data=[ShipmentRead.of(s, item_count=n, received_count=r) for s, n, r in rows[: page.limit]],
        next=next_cursor([s.id for s, _, _ in rows], page.limit),
    )


@router.post(
    "",
    name="api:shipments:create",
    status_code=status.HTTP_201_CREATED,
    response_model=ShipmentRead,
    responses={409: {"description": "The recipient has no allocation left on the pledge."}},
)
def create_shipment(
    shipment_in: ShipmentCreate, session: SessionDep, user: DonorOrCoordinator, actor: ActorDep
) -> ShipmentRead:
    """Start a draft shipment of a pledge to a recipient that has allocation left. With mode
    `post`, the tracking number must be a valid UPU S10 identifier."""
    shipment = service.create(session, shipment_in=shipment_in, user=user, actor=actor)
    return ShipmentRead.of(shipment, item_count=0, received_count=0)


@router.get(
    "/{shipment_id}", name="api:shipments:detail", response_model=ShipmentRead, responses=NOT_FOUND
)
def get_shipment(shipment_id: int, session: SessionDep, user: CurrentUser) -> ShipmentRead:
    """One shipment, with counts and whether it is overdue."""
    return read(session, service.get_visible(session, shipment_id=shipment_id, user=user))


@router.get(
    "/{shipment_id}/items",
    name="api:shipments:items",
    response_model=list[ItemRead],
    responses=NOT_FOUND,
)
def shipment_items(shipment_id: int, session: SessionDep, user: CurrentUser) -> list[ItemRead]:
    """The items in the shipment (the packing list and receiving checklist)."""
    shipment = service.get_visible(session, shipment_id=shipment_id, user=user)
    return [ItemRead.of(i) for i in repository.items(session, shipment.id)]


@router.post(
    "/{shipment_id}/items",
    name="api:shipments:pack",
    response_model=PackResult,
    responses=NOT_FOUND | CONFLICT,
)
def pack(
    shipment_id: int,
    pack_in: PackRequest,
    session: SessionDep,
    user: DonorOrCoordinator,
    actor: ActorDep,
) -> PackResult:
    """Pack items into a draft shipment, by id or by count (the first N unpacked items of
    the pledge). Never more than the recipient's remaining allocation (409)."""
    shipment = _packable(session, shipment_id, user)
    ids = service.pack(session, shipment=shipment, pack_in=pack_in, actor=actor)
    return PackResult(packed=len(ids), item_ids=ids, shipment=read(session, shipment))


@router.delete(
    "/{shipment_id}/items/{item_id}",
    name="api:shipments:unpack",
    response_model=ShipmentRead,
    responses=NOT_FOUND | CONFLICT,
)
def unpack(
    shipment_id: int, item_id: int, session: SessionDep, user: DonorOrCoordinator, actor: ActorDep
) -> ShipmentRead:
    """Take an item out of a draft shipment; it is `pledged` again."""
    shipment = _packable(session, shipment_id, user)
    service.unpack(session, shipment=shipment, item_id=item_id, actor=actor)
    return read(session, shipment)


@router.post(
    "/{shipment_id}/dispatch",
    name="api:shipments:dispatch",
    response_model=ShipmentRead,
    responses=NOT_FOUND | CONFLICT,
)
def dispatch(
    shipment_id: int,
    session: SessionDep,
    user: DonorOrCoordinator,
    actor: ActorDep,
    dispatch_in: DispatchRequest | None = None,
) -> ShipmentRead:
    """Send a draft shipment: its items go `in_transit`. A `post` shipment's tracking number
    is checked as UPU S10 (422 says what is wrong)."""
    shipment = _packable(session, shipment_id, user)
    service.dispatch(
        session, shipment=shipment, dispatch_in=dispatch_in or DispatchRequest(), actor=actor
    )
    return read(session, shipment)


@router.post(
    "/{shipment_id}/close",
    name="api:shipments:close",
    response_model=ShipmentRead,
    responses=NOT_FOUND | CONFLICT,
)
def close(
    shipment_id: int, session: SessionDep, user: RecipientOrCoordinator, actor: ActorDep
) -> ShipmentRead:
    """Close a dispatched shipment: every item not yet received becomes `missing` (an item
    found later can still be received). Repeating it changes nothing."""
    shipment = service.get_visible(session, shipment_id=shipment_id, user=user, lock=True)
    service.close(session, shipment=shipment, actor=actor)
    return read(session, shipment)
