from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from donations.auth.passwords import hash_password
from donations.errors import Conflict, Invalid
from donations.events import service as event_service
from donations.events.service import Actor
from donations.models import Role, User
from donations.organisations import service as organisation_service
from donations.users.schemas import UserCreate

# Which kinds of organisation each role may belong to.
ROLE_ORG_KINDS: dict[Role, tuple[str, ...]] = {
    Role.donor: ("donor", "partner"),
    Role.recipient: ("recipient",),
    Role.coordinator: ("partner", "donor", "recipient"),
}


def get_by_username(session: Session, username: str) -> User | None:
    return session.scalars(
        select(User).options(joinedload(User.organisation)).where(User.username == username)
    ).first()


def list_all(session: Session, *, after: int | None, limit: int) -> Sequence[User]:
    stmt = select(User).options(joinedload(User.organisation)).order_by(User.id).limit(limit)
    if after is not None:
        stmt = stmt.where(User.id > after)
    return session.scalars(stmt).all()


def create(session: Session, *, user_in: UserCreate, actor: Actor) -> User:
    if get_by_username(session, user_in.username) is not None:
        raise Conflict(f"username: {user_in.username!r} is taken")
    organisation = None
    if user_in.organisation:
        organisation = organisation_service.require_by_code(
            session, user_in.organisation, field="organisation"
        )
        if organisation.kind not in ROLE_ORG_KINDS[user_in.role]:
            raise Invalid(
                f"organisation: a {user_in.role.value} cannot belong to {organisation.code}, "
                f"a {organisation.kind} organisation"
            )
    elif user_in.role != Role.coordinator:
        raise Invalid(f"organisation: a {user_in.role.value} must belong to an organisation")
    user = User(
        username=user_in.username,
        display_name=user_in.display_name or user_in.username,
        role=user_in.role.value,
        organisation=organisation,
        organisation_id=organisation.id if organisation else None,
        password_hash=hash_password(user_in.password),
        language=user_in.language,
    )
    session.add(user)
    session.flush()
    event_service.record(
        session,
        actor=actor,
        kind="user.created",
        data={"username": user.username, "role": user.role, "organisation": user.org_code},
    )
    return user
