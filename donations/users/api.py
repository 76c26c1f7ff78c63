from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from donations.auth.dependencies import ActorDep, Coordinator
from donations.db import SessionDep
from donations.pagination import Page, PageParams, next_cursor, page_params
from donations.users import service
from donations.users.schemas import UserCreate, UserRead

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.post(
    "",
    name="api:users:create",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses={409: {"description": "The username is taken."}},
)
def create_user(
    user_in: UserCreate, session: SessionDep, user: Coordinator, actor: ActorDep
) -> UserRead:
    """Create a user (coordinator only). Donors and recipients need an organisation of a
    matching kind: a donor belongs to a donor or partner organisation, a recipient to a
    recipient post; a coordinator belongs to a partner organisation or to none."""
    return UserRead.of(service.create(session, user_in=user_in, actor=actor))


@router.get("", name="api:users:list", response_model=Page[UserRead])
def list_users(
    session: SessionDep, user: Coordinator, page: Annotated[PageParams, Depends(page_params)]
) -> Page[UserRead]:
    """All users (coordinator only)."""
    rows = service.list_all(session, after=page.after, limit=page.limit + 1)
    return Page(
        data=[UserRead.of(u) for u in rows[: page.limit]],
        next=next_cursor([u.id for u in rows], page.limit),
    )
