"""Signing in: password checks and API bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from donations import clock
from donations.auth.passwords import hash_password, needs_rehash, verify_password
from donations.models import ApiToken, User


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (same cost either way)."""
    user = session.scalars(
        select(User).options(joinedload(User.organisation)).where(User.username == username)
    ).first()
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = clock.now()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, *, user: User, ttl: timedelta) -> tuple[str, ApiToken]:
    """A new random bearer token; only its SHA-256 is stored."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_digest(token), expires_at=clock.now() + ttl)
    session.add(row)
    session.flush()
    return token, row


def user_for_token(session: Session, token: str) -> tuple[User, ApiToken] | None:
    """The active user holding an unexpired, unrevoked token: one indexed select, no hashing
    beyond a SHA-256 of the token."""
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .options(joinedload(User.organisation))
        .where(
            ApiToken.token_hash == _digest(token),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > clock.now(),
            User.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    api_token, user = row
    return user, api_token


def revoke_token(session: Session, *, token: ApiToken) -> None:
    token.revoked_at = clock.now()


def revoke_all_tokens(session: Session, *, user: User) -> int:
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)
