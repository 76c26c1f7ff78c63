from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from donations import clock
from donations.auth import service as auth_service
from donations.auth.passwords import hash_password
from donations.errors import Conflict, Invalid, NotFound
from donations.events import service as event_service
from donations.events.service import Actor
from donations.i18n import gettext as _
from donations.i18n import pgettext
from donations.models import Role, User, WebSession
from donations.organisations import service as organisation_service
from donations.users.schemas import PasswordUpdate, UserCreate

# Which kinds of organisation each role may belong to (DESIGN.md, "People": donors and
# recipients belong to exactly one organisation; a coordinator to a partner or to none).
ROLE_ORG_KINDS: dict[Role, tuple[str, ...]] = {
    Role.donor: ("donor", "partner"),
    Role.recipient: ("recipient",),
    Role.coordinator: ("partner",),
}


def role_name(role: Role | str) -> str:
    """The role in the current language (in English, its code: `donor`)."""
    names = {
        Role.coordinator: pgettext("role", "coordinator"),
        Role.donor: pgettext("role", "donor"),
        Role.recipient: pgettext("role", "recipient"),
    }
    return names[Role(role)]


def get_by_username(session: Session, username: str) -> User | None:
    return session.scalars(
        select(User).options(joinedload(User.organisation)).where(User.username == username)
    ).first()


def list_all(
    session: Session, *, after: int | None, limit: int, organisation_id: int | None = None
) -> Sequence[User]:
    stmt = select(User).options(joinedload(User.organisation)).order_by(User.id).limit(limit)
    if after is not None:
        stmt = stmt.where(User.id > after)
    if organisation_id is not None:
        stmt = stmt.where(User.organisation_id == organisation_id)
    return session.scalars(stmt).all()


def create(session: Session, *, user_in: UserCreate, actor: Actor) -> User:
    if get_by_username(session, user_in.username) is not None:
        raise Conflict(
            _("{username!r} is taken").format(username=user_in.username), field="username"
        )
    organisation = None
    if user_in.organisation:
        organisation = organisation_service.require_by_code(
            session, user_in.organisation, field="organisation"
        )
        if organisation.kind not in ROLE_ORG_KINDS[user_in.role]:
            raise Invalid(
                _("a {role} cannot belong to {code}, a {kind} organisation").format(
                    role=role_name(user_in.role),
                    code=organisation.code,
                    kind=organisation_service.kind_name(organisation.kind),
                ),
                field="organisation",
            )
    elif user_in.role != Role.coordinator:
        raise Invalid(
            _("a {role} must belong to an organisation").format(role=role_name(user_in.role)),
            field="organisation",
        )
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


def get(session: Session, *, user_id: int) -> User:
    """The user with its organisation, or 404."""
    user = session.scalars(
        select(User).options(joinedload(User.organisation)).where(User.id == user_id)
    ).first()
    if user is None:
        raise NotFound(_("user {user} not found").format(user=user_id))
    return user


def count_by_organisation(session: Session) -> dict[int, int]:
    """{organisation id: number of users}, for the organisations that have any."""
    rows = session.execute(
        select(User.organisation_id, func.count(User.id))
        .where(User.organisation_id.is_not(None))
        .group_by(User.organisation_id)
    ).all()
    return {org_id: int(n) for org_id, n in rows if org_id is not None}


def revoke_access(session: Session, *, user: User) -> dict[str, int]:
    """End every web session and revoke every API token of the user; how many of each."""
    sessions = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return {
        "tokens_revoked": auth_service.revoke_all_tokens(session, user=user),
        "sessions_revoked": int(getattr(sessions, "rowcount", 0) or 0),
    }


def set_active(session: Session, *, user: User, active: bool, actor: Actor) -> bool:
    """Deactivate (signed out everywhere, tokens revoked) or reactivate a user. False, and
    nothing written, when the user is already so."""
    if user.active == active:
        return False
    if not active and actor.user_id == user.id:
        raise Conflict(_("you cannot deactivate your own account"))
    user.active = active
    data: dict[str, object] = {"username": user.username}
    if not active:
        data |= revoke_access(session, user=user)
    session.flush()
    event_service.record(
        session,
        actor=actor,
        kind="user.reactivated" if active else "user.deactivated",
        data=data,
    )
    return True


def reset_password(
    session: Session, *, user: User, password_in: PasswordUpdate, actor: Actor
) -> None:
    """Set a new password; the user is signed out everywhere and their tokens revoked."""
    user.password_hash = hash_password(password_in.password)
    revoked = revoke_access(session, user=user)
    session.flush()
    event_service.record(
        session,
        actor=actor,
        kind="user.password_reset",
        data={"username": user.username} | revoked,
    )
