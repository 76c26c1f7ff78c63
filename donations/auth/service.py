"""Signing in: password checks and API bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVarTuple

from sqlalchemy import Connection, Select, bindparam, delete, func, select, update
from sqlalchemy.orm import Session, joinedload

from donations import clock
from donations.auth.passwords import hash_password, needs_rehash, verify_password
from donations.errors import DomainError
from donations.models import ApiToken, LoginFailure, User
from donations.prepared import Prepared

Ts = TypeVarTuple("Ts")


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


def _active_token(stmt: Select[*Ts]) -> Select[*Ts]:
    """Only the token with this digest, unexpired and unrevoked, of an active user."""
    return stmt.join(User, User.id == ApiToken.user_id).where(
        ApiToken.token_hash == bindparam("digest"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now"),
        User.active.is_(True),
    )


# Built once: every API request runs it, and building a statement costs more than running it.
_TOKEN_USER = _active_token(select(ApiToken, User)).options(joinedload(User.organisation))


def user_for_token(session: Session, token: str) -> tuple[User, ApiToken] | None:
    """The active user holding an unexpired, unrevoked token: one indexed select, no hashing
    beyond a SHA-256 of the token."""
    row = session.execute(_TOKEN_USER, {"digest": _digest(token), "now": clock.now()}).first()
    if row is None:
        return None
    api_token, user = row
    return user, api_token


@dataclass(frozen=True)
class TokenHolder:
    """The holder of a bearer token as the scan's hot path needs it (a `Principal`), read
    without the ORM."""

    id: int
    role: str
    organisation_id: int | None
    token_id: int


_TOKEN_HOLDER = Prepared(
    _active_token(select(User.id, User.role, User.organisation_id, ApiToken.id))
)


def holder_of_token(conn: Connection, token: str) -> TokenHolder | None:
    """`user_for_token` in a Core connection's transaction: the same rules, one select."""
    row = _TOKEN_HOLDER.first(conn, digest=_digest(token), now=clock.now())
    return None if row is None else TokenHolder(*row)


def revoke_token(session: Session, *, token: ApiToken) -> None:
    token.revoked_at = clock.now()


def revoke_all_tokens(session: Session, *, user: User) -> int:
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- throttling ------------------------------------------------------------------------------

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_CLIENT = 30


class Throttled(DomainError):
    """Too many failed sign-ins for this username or from this address (429)."""

    status_code = 429


def check_throttle(session: Session, *, username: str, client: str) -> None:
    """Refuse before checking the password when the username or the address has failed too
    often in the last 15 minutes. Failures are rows in the database, so the limit holds
    across every app process."""
    since = clock.now() - THROTTLE_WINDOW
    by_user = session.scalar(
        select(func.count(LoginFailure.id)).where(
            LoginFailure.username == username[:64], LoginFailure.at > since
        )
    )
    by_client = session.scalar(
        select(func.count(LoginFailure.id)).where(
            LoginFailure.client == client[:64], LoginFailure.at > since
        )
    )
    if (by_user or 0) >= MAX_FAILURES_PER_USERNAME or (by_client or 0) >= MAX_FAILURES_PER_CLIENT:
        raise Throttled(
            "too many failed sign-ins; try again in 15 minutes",
            headers={"Retry-After": str(int(THROTTLE_WINDOW.total_seconds()))},
        )


def record_failure(session: Session, *, username: str, client: str) -> None:
    """Count a failed sign-in (the caller must let the transaction commit)."""
    now = clock.now()
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - 2 * THROTTLE_WINDOW))
    session.add(LoginFailure(username=username[:64], client=client[:64], at=now))


def clear_failures(session: Session, *, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))


def sign_in(session: Session, *, username: str, password: str, client: str) -> User | None:
    """The user, or None for a wrong username or password (counted); Throttled when over
    the limit."""
    check_throttle(session, username=username, client=client)
    user = authenticate(session, username=username, password=password)
    if user is None:
        record_failure(session, username=username, client=client)
        return None
    clear_failures(session, username=username)
    return user
