"""users.service administration functions, directly against a session."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from donations.auth import service as auth_service
from donations.auth.passwords import verify_password
from donations.db import Database
from donations.errors import Conflict
from donations.events.service import Actor
from donations.models import Event, User
from donations.users import service
from donations.users.schemas import PasswordUpdate
from tests.factories import PASSWORD, World


def _user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


class TestSetActive:
    def test_nothing_is_committed_by_the_service(self, world: World, db: Database) -> None:
        with db.session() as session:
            coord, tonga = _user(session, "coord"), _user(session, "tonga")
            assert service.set_active(
                session, user=tonga, active=False, actor=Actor(coord, source="web")
            )
            session.rollback()
        with db.session(write=False) as session:
            assert _user(session, "tonga").active is True
            assert auth_service.user_for_token(
                session, world.headers["tonga"]["Authorization"].split()[1]
            )

    def test_refuses_to_deactivate_the_actor(self, world: World, db: Database) -> None:
        with db.session() as session:
            coord = _user(session, "coord")
            with pytest.raises(Conflict):
                service.set_active(session, user=coord, active=False, actor=Actor(coord))
            assert coord.active is True


class TestResetPassword:
    def test_sets_the_hash_and_records_no_password(self, world: World, db: Database) -> None:
        with db.session() as session:
            coord, tonga = _user(session, "coord"), _user(session, "tonga")
            password_in = PasswordUpdate(password="new password!", password_confirm="new password!")
            service.reset_password(session, user=tonga, password_in=password_in, actor=Actor(coord))
            session.flush()
            assert verify_password(tonga.password_hash, "new password!")
            assert not verify_password(tonga.password_hash, PASSWORD)
            event = session.scalars(select(Event).where(Event.kind == "user.password_reset")).one()
            assert "new password!" not in str(event.data)
            session.rollback()


class TestCountByOrganisation:
    def test_counts_users_per_organisation(self, world: World, db: Database) -> None:
        with db.session(write=False) as session:
            counts = service.count_by_organisation(session)
            tonga = _user(session, "tonga")

        assert counts[tonga.organisation_id] == 1  # type: ignore[index]
        assert sum(counts.values()) == 5
