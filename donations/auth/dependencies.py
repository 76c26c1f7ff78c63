"""Who is asking: bearer-token authentication and role checks as chained dependencies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from donations.auth import service as auth_service
from donations.auth.service import TokenHolder
from donations.db import SessionDep
from donations.errors import Forbidden, Unauthorized
from donations.events.service import Actor
from donations.models import ApiToken, Role, User
from donations.scope import Principal

P = TypeVar("P", bound=Principal)

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token.")


# Dependencies that do no I/O are `async def`: a sync one costs a trip through the
# threadpool on every request, and the scan path is hot.


def optional_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User | None:
    """The signed-in user, or None for an anonymous caller. A bad token is a 401, not
    anonymous: a client that sends one wants to know it no longer works."""
    if credentials is None:
        return None
    user, token = authenticate(session, credentials.credentials)
    request.state.api_token = token
    request.state.source = "api"
    return user


def authenticate(session: Session, token: str) -> tuple[User, ApiToken]:
    found = auth_service.user_for_token(session, token)
    if found is None:
        raise _invalid_token()
    return found


def _invalid_token() -> Unauthorized:
    return Unauthorized("invalid, expired or revoked token")


OptionalUser = Annotated[User | None, Depends(optional_user)]


def _not_authenticated() -> Unauthorized:
    return Unauthorized("not authenticated: send Authorization: Bearer <token>")


async def current_user(user: OptionalUser) -> User:
    if user is None:
        raise _not_authenticated()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def current_token(request: Request, user: CurrentUser) -> ApiToken:
    token: ApiToken = request.state.api_token
    return token


def check_role(user: P, roles: tuple[Role, ...]) -> P:
    if user.role not in roles:
        names = ", ".join(r.value for r in roles)
        raise Forbidden(f"this needs the role {names}; you are {user.role}")
    return user


def require_role(*roles: Role) -> Callable[[User], Awaitable[User]]:
    async def check(user: CurrentUser) -> User:
        return check_role(user, roles)

    return check


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The bearer token sent, not yet checked (a 401 without one): for a hot write endpoint
    that checks it in its own write transaction (`token_holder`), to spare a round trip."""
    if credentials is None:
        raise _not_authenticated()
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]


def token_holder(conn: Connection, token: str, roles: tuple[Role, ...]) -> TokenHolder:
    """`require_role` without the ORM, in the caller's transaction: the same answers."""
    holder = auth_service.holder_of_token(conn, token)
    if holder is None:
        raise _invalid_token()
    return check_role(holder, roles)


Coordinator = Annotated[User, Depends(require_role(Role.coordinator))]
DonorOrCoordinator = Annotated[User, Depends(require_role(Role.donor, Role.coordinator))]
RecipientOrCoordinator = Annotated[User, Depends(require_role(Role.recipient, Role.coordinator))]


async def actor(request: Request, user: CurrentUser) -> Actor:
    return Actor(user=user, source=getattr(request.state, "source", "api"))


ActorDep = Annotated[Actor, Depends(actor)]


def client_address(request: Request) -> str:
    """The caller's address (behind a proxy, uvicorn takes it from X-Forwarded-For when the
    proxy is trusted: see --forwarded-allow-ips)."""
    return request.client.host if request.client else "unknown"
