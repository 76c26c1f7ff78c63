from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from donations.auth import service
from donations.auth.dependencies import CurrentUser, client_address, current_token
from donations.db import SessionDep
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
    responses={
        401: {"description": "Wrong username or password (the same answer for both)."},
        429: {"description": "Too many failed sign-ins for this username or address."},
    },
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
    After 5 failures for a username (or 30 from one address) in 15 minutes, sign-ins are
    refused with 429 for 15 minutes.
    """
    user = service.sign_in(
        session,
        username=username.strip().lower(),
        password=password,
        client=client_address(request),
    )
    if user is None:
        # Answered rather than raised, so that the failure is counted (the request commits).
        return JSONResponse(  # type: ignore[return-value]
            {"detail": "wrong username or password"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
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
