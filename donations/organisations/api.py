from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from donations.auth.dependencies import ActorDep, Coordinator, CurrentUser
from donations.db import SessionDep
from donations.organisations import service
from donations.organisations.schemas import OrganisationCreate, OrganisationRead
from donations.pagination import Page, PageParams, next_cursor, page_params

router = APIRouter(prefix="/api/v1/organisations", tags=["organisations"])


@router.get("", name="api:organisations:list", response_model=Page[OrganisationRead])
def list_organisations(
    session: SessionDep, user: CurrentUser, page: Annotated[PageParams, Depends(page_params)]
) -> Page[OrganisationRead]:
    """Every organisation of the programme (donors, recipients, partners). Any signed-in user."""
    rows = service.list_all(session, after=page.after, limit=page.limit + 1)
    return Page(
        data=[OrganisationRead.of(o) for o in rows[: page.limit]],
        next=next_cursor([o.id for o in rows], page.limit),
    )


@router.post(
    "",
    name="api:organisations:create",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganisationRead,
    responses={409: {"description": "The code is taken."}},
)
def create_organisation(
    organisation_in: OrganisationCreate, session: SessionDep, user: Coordinator, actor: ActorDep
) -> OrganisationRead:
    """Register an organisation (coordinator only)."""
    return OrganisationRead.of(
        service.create(session, organisation_in=organisation_in, actor=actor)
    )
