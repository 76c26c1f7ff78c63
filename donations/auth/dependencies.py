"""Who is asking: bearer-token authentication and role checks as chained dependencies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from donations.auth import service as auth_service
from donations.db import SessionDep, get_database
from donations.errors import Forbidden, Unauthorized
from donations.events.service import Actor
from donations.models import ApiToken, Role, User

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
        raise Unauthorized("invalid, expired or revoked token")
    return found


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


def check_role(user: User, roles: tuple[Role, ...]) -> User:
    if user.role not in roles:
        names = ", ".join(r.value for r in roles)
        raise Forbidden(f"this needs the role {names}; you are {user.role}")
    return user


def require_role(*roles: Role) -> Callable[[User], Awaitable[User]]:
    async def check(user: CurrentUser) -> User:
        return check_role(user, roles)

    return check


def require_role_before_writing(*roles: Role) -> Callable[..., Awaitable[User]]:
    """Like `require_role`, for a hot write endpoint that opens its own write transaction
    (`Database.transaction`) instead of taking the request's session: the token is checked
    in a short read transaction of its own, before the write lock, on the same database
    thread as the write that follows (`Database.run_serialised`), and the user comes back
    detached, with its columns and organisation loaded. Same answers as `require_role`."""

    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> User:
        if credentials is None:
            raise _not_authenticated()
        database = get_database(request)

        def lookup() -> tuple[User, ApiToken]:
            with database.transaction(write=False) as session:
                return authenticate(session, credentials.credentials)

        user, token = await database.run_serialised(lookup)
        request.state.api_token = token
        request.state.source = "api"
        return check_role(user, roles)

    return check


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
