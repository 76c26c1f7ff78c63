from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from pydantic import BaseModel

from donations.auth import service
from donations.auth.dependencies import CurrentUser, current_token
from donations.db import SessionDep
from donations.errors import Unauthorized
from donations.models import ApiToken
from donations.users.schemas import UserRead

router = APIRouter(prefix="/api/v1", tags=["auth"])


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


@router.post(
    "/auth/token",
    name="api:auth:token",
    response_model=TokenRead,
    responses={401: {"description": "Wrong username or password (the same answer for both)."}},
)
def token(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> TokenRead:
    """Exchange a username and password (form fields) for a bearer token.

    Send it as `Authorization: Bearer <access_token>`. Tokens expire after
    `DONATIONS_TOKEN_TTL_HOURS` and can be revoked with `DELETE /api/v1/auth/token`.
    """
    user = service.authenticate(session, username=username.strip().lower(), password=password)
    if user is None:
        raise Unauthorized("wrong username or password")
    ttl = timedelta(hours=request.app.state.settings.token_ttl_hours)
    raw, row = service.issue_token(session, user=user, ttl=ttl)
    return TokenRead(access_token=raw, expires_at=row.expires_at)


@router.delete("/auth/token", name="api:auth:revoke", status_code=status.HTTP_204_NO_CONTENT)
def revoke(session: SessionDep, api_token: Annotated[ApiToken, Depends(current_token)]) -> None:
    """Revoke the token this request is made with (sign out a device)."""
    service.revoke_token(session, token=api_token)


@router.get("/me", name="api:me", response_model=UserRead)
def me(user: CurrentUser) -> UserRead:
    """The signed-in user, with role and organisation."""
    return UserRead.of(user)
