"""Browser sessions: a random token in an HttpOnly cookie, its SHA-256 in `web_sessions`."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from donations import clock
from donations.db import SessionDep
from donations.errors import DomainError, Forbidden
from donations.events.service import Actor
from donations.i18n import gettext as _
from donations.i18n import set_language
from donations.models import Role, User, WebSession
from donations.web import delete_cookie_later, set_cookie_later

SESSION_COOKIE = "donations_session"


class LoginRequired(DomainError):
    """Raised by pages that need a signed-in user; answered with a redirect to /login."""

    status_code = 401


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(request: Request, session: Session, user: User) -> None:
    """Sign the browser in with a new session (a new token at every login)."""
    end(request, session)
    token = secrets.token_urlsafe(32)
    ttl = timedelta(hours=request.app.state.settings.session_ttl_hours)
    session.add(
        WebSession(user_id=user.id, token_hash=_digest(token), expires_at=clock.now() + ttl)
    )
    set_cookie_later(request, SESSION_COOKIE, token, int(ttl.total_seconds()))
    request.state.user = user


def end(request: Request, session: Session) -> None:
    """Sign the browser out: the session row is revoked, so the cookie is worthless."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        row = session.scalars(
            select(WebSession).where(WebSession.token_hash == _digest(token))
        ).first()
        if row is not None and row.revoked_at is None:
            row.revoked_at = clock.now()
        delete_cookie_later(request, SESSION_COOKIE)
    request.state.user = None


def optional_web_user(request: Request, session: SessionDep) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    user: User | None = None
    if token:
        user = session.scalars(
            select(User)
            .join(WebSession, WebSession.user_id == User.id)
            .options(joinedload(User.organisation))
            .where(
                WebSession.token_hash == _digest(token),
                WebSession.revoked_at.is_(None),
                WebSession.expires_at > clock.now(),
                User.active.is_(True),
            )
        ).first()
    request.state.user = user
    request.state.source = "web"
    if user is not None:
        set_language(user.language)
    return user


WebUserOptional = Annotated[User | None, Depends(optional_web_user)]


async def web_user(request: Request, user: WebUserOptional) -> User:
    if user is None:
        raise LoginRequired(
            "sign in first",
            next=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        )
    return user


WebUser = Annotated[User, Depends(web_user)]


def web_role(*roles: Role):  # type: ignore[no-untyped-def]
    async def check(user: WebUser) -> User:
        if user.role not in roles:
            raise Forbidden(_("This page is not for your role."))
        return user

    return check


async def web_actor(user: WebUser) -> Actor:
    return Actor(user=user, source="web")


WebActor = Annotated[Actor, Depends(web_actor)]


def login_url(next_url: str | None) -> str:
    return "/login" + (f"?next={quote(next_url, safe='/')}" if next_url else "")


def safe_next(next_url: str | None) -> str:
    """Only local paths: `?next=` must never send the user to another site."""
    if (
        not next_url
        or not next_url.startswith("/")
        or next_url.startswith("//")
        or "\\" in next_url
    ):
        return "/"
    return next_url
