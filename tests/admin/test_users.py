"""The users pages: the list, a new user, deactivation and password reset."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from donations.db import Database
from donations.models import Event, User
from tests.admin.helpers import (
    browser,
    counts,
    post_form,
    sign_in,
    signed_in,
)
from tests.factories import PASSWORD, World

NEW_PASSWORD = "a brand new passphrase"
NEW_USER = {
    "username": "Tonga.Receiving",
    "display_name": "Sione Fifita",
    "role": "recipient",
    "organisation": "TOPOST",
    "language": "fr",
    "password": NEW_PASSWORD,
    "password_confirm": NEW_PASSWORD,
}


def events(db: Database, kind: str) -> list[Event]:
    with db.session(write=False) as session:
        return list(session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))


def get_user(db: Database, username: str) -> User:
    with db.session(write=False) as session:
        return session.scalars(select(User).where(User.username == username)).one()


class TestList:
    def test_lists_users_with_role_organisation_language_status_and_last_sign_in(
        self, app: FastAPI, world: World
    ) -> None:
        page = signed_in(app, "coord").get("/users").text

        for username in ("coord", "korea", "japan", "tonga", "fiji"):
            assert f'href="/users/{world.users[username]}"' in page
        assert page.index(">coord<") < page.index(">korea<") < page.index(">fiji<")
        assert "Tonga Post" in page and "TOPOST" in page
        assert "English" in page
        assert "never" in page  # korea never signed in; coord just did
        assert page.count('<span class="badge deployed">active</span>') == 5

    def test_the_coordinator_cannot_deactivate_their_own_row(
        self, app: FastAPI, world: World
    ) -> None:
        page = signed_in(app, "coord").get("/users").text

        assert f'action="/users/{world.users["coord"]}/active"' not in page
        assert f'action="/users/{world.users["tonga"]}/active"' in page

    def test_filters_by_organisation(self, app: FastAPI, world: World) -> None:
        page = signed_in(app, "coord").get("/users?organisation=TOPOST").text

        assert f'href="/users/{world.users["tonga"]}"' in page
        assert f'href="/users/{world.users["fiji"]}"' not in page
        assert "Users of Tonga Post (TOPOST)." in page


class TestCreate:
    def test_form_offers_roles_organisations_and_languages(
        self, app: FastAPI, world: World
    ) -> None:
        page = signed_in(app, "coord").get("/users/new").text

        assert '<option value="TOPOST" >Tonga Post (TOPOST)</option>' in page
        assert '<optgroup label="Recipients">' in page
        assert '<option value="coordinator"' in page
        assert '<option value="fr"' in page
        assert 'type="password"' in page

    def test_coordinator_creates_a_user_who_can_sign_in(
        self, app: FastAPI, world: World, db: Database
    ) -> None:
        client = signed_in(app, "coord")

        response = post_form(client, "/users/new", NEW_USER)

        assert response.status_code == 303, response.text
        created = get_user(db, "tonga.receiving")
        assert response.headers["location"] == f"/users/{created.id}"
        assert (created.display_name, created.role, created.language, created.active) == (
            "Sione Fifita",
            "recipient",
            "fr",
            True,
        )
        page = client.get(response.headers["location"]).text
        assert "User tonga.receiving created" in page
        assert sign_in(browser(app), "tonga.receiving", NEW_PASSWORD).status_code == 303
        (event,) = events(db, "user.created")[-1:]
        assert event.data["username"] == "tonga.receiving"
        assert event.source == "web"
        assert NEW_PASSWORD not in json.dumps(event.data)

    def test_a_coordinator_needs_no_organisation(
        self, app: FastAPI, world: World, db: Database
    ) -> None:
        data = NEW_USER | {"username": "coord2", "role": "coordinator", "organisation": ""}

        response = post_form(signed_in(app, "coord"), "/users/new", data)

        assert response.status_code == 303, response.text
        assert get_user(db, "coord2").organisation_id is None

    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            ({"password_confirm": "a brand new passphrasf"}, "password_confirm", "do not match"),
            ({"password_confirm": ""}, "password_confirm", "do not match"),
            (
                {"password": "short", "password_confirm": "short"},
                "password",
                "at least 10 characters",
            ),
            ({"organisation": ""}, "organisation", "a recipient must belong to an organisation"),
            ({"role": "donor"}, "organisation", "cannot belong to TOPOST"),
            ({"organisation": "NOPE"}, "organisation", "unknown organisation code"),
            ({"username": "Tonga"}, "username", "is taken"),
            ({"username": "x"}, "username", "lower-case letters"),
            ({"role": "admin"}, "role", "Input should be"),
            ({"language": "de"}, "language", "Input should be"),
        ],
    )
    def test_bad_input_is_shown_on_its_field_and_nothing_is_written(
        self,
        app: FastAPI,
        world: World,
        db: Database,
        change: dict[str, Any],
        field: str,
        message: str,
    ) -> None:
        client = signed_in(app, "coord")
        before = counts(db)

        response = post_form(client, "/users/new", NEW_USER | change)

        assert response.status_code == 422
        marker = f'<p id="e-{field}" class="field-error">'
        assert marker in response.text
        assert message in response.text.split(marker)[1].split("</p>")[0]
        assert 'value="Sione Fifita"' in response.text  # what was typed is kept...
        assert NEW_PASSWORD not in response.text  # ...but never a password
        assert counts(db) == before


class TestDeactivate:
    def test_deactivation_revokes_tokens_and_sessions_and_blocks_sign_in(
        self, app: FastAPI, world: World, db: Database
    ) -> None:
        tonga_browser = signed_in(app, "tonga")
        assert tonga_browser.get("/").status_code == 200
        coord = signed_in(app, "coord")
        tonga_id = world.users["tonga"]

        response = post_form(coord, f"/users/{tonga_id}/active", {"active": "false"})

        assert response.status_code == 303
        assert response.headers["location"] == f"/users/{tonga_id}"
        assert "tonga is deactivated" in coord.get(f"/users/{tonga_id}").text
        assert world.get("tonga", "/api/v1/me").status_code == 401  # the API token
        assert tonga_browser.get("/").status_code == 303  # the web session: back to /login
        assert sign_in(browser(app), "tonga").status_code == 401
        token = world.client.post(
            "/api/v1/auth/token", data={"username": "tonga", "password": PASSWORD}
        )
        assert token.status_code == 401
        assert get_user(db, "tonga").active is False
        (event,) = events(db, "user.deactivated")
        assert event.data == {"username": "tonga", "tokens_revoked": 1, "sessions_revoked": 1}
        assert event.actor_id == world.users["coord"]
        assert world.get("fiji", "/api/v1/me").status_code == 200  # nobody else

    def test_reactivation_lets_them_sign_in_but_old_tokens_stay_revoked(
        self, app: FastAPI, world: World, db: Database
    ) -> None:
        coord = signed_in(app, "coord")
        url = f"/users/{world.users['tonga']}/active"
        post_form(coord, url, {"active": "false"})

        response = post_form(coord, url, {"active": "true", "next": "/users#user-4"})

        assert response.status_code == 303
        assert response.headers["location"] == "/users#user-4"
        assert sign_in(browser(app), "tonga").status_code == 303
        assert world.get("tonga", "/api/v1/me").status_code == 401
        assert [e.data for e in events(db, "user.reactivated")] == [{"username": "tonga"}]

    def test_repeating_it_changes_nothing(self, app: FastAPI, world: World, db: Database) -> None:
        coord = signed_in(app, "coord")
        url = f"/users/{world.users['tonga']}/active"
        post_form(coord, url, {"active": "false"})
        before = counts(db)

        response = post_form(coord, url, {"active": "false"})

        assert response.status_code == 303
        assert counts(db) == before

    def test_a_coordinator_cannot_deactivate_themselves(
        self, app: FastAPI, world: World, db: Database
    ) -> None:
        coord = signed_in(app, "coord")
        before = counts(db)

        response = post_form(coord, f"/users/{world.users['coord']}/active", {"active": "false"})

        assert response.status_code == 409
        assert "cannot deactivate your own account" in response.text
        assert counts(db) == before
        assert get_user(db, "coord").active is True
        assert coord.get("/users").status_code == 200  # still signed in

    def test_an_unclear_request_is_refused(self, app: FastAPI, world: World) -> None:
        coord = signed_in(app, "coord")

        response = post_form(coord, f"/users/{world.users['tonga']}/active", {"active": "maybe"})

        assert response.status_code == 422
        assert world.get("tonga", "/api/v1/me").status_code == 200

    def test_an_unknown_user_is_a_404(self, app: FastAPI, world: World) -> None:
        coord = signed_in(app, "coord")

        assert coord.get("/users/9999").status_code == 404
        assert post_form(coord, "/users/9999/active", {"active": "false"}).status_code == 404


class TestResetPassword:
    def test_the_new_password_works_and_the_old_one_does_not(
        self, app: FastAPI, world: World, db: Database
    ) -> None:
        tonga_browser = signed_in(app, "tonga")
        coord = signed_in(app, "coord")
        tonga_id = world.users["tonga"]

        response = post_form(
            coord,
            f"/users/{tonga_id}/password",
            {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        )

        assert response.status_code == 303
        assert response.headers["location"] == f"/users/{tonga_id}"
        assert "Password of tonga reset" in coord.get(f"/users/{tonga_id}").text
        assert sign_in(browser(app), "tonga", PASSWORD).status_code == 401
        assert sign_in(browser(app), "tonga", NEW_PASSWORD).status_code == 303
        assert tonga_browser.get("/").status_code == 303  # the old session has ended
        assert world.get("tonga", "/api/v1/me").status_code == 401  # and the old token
        (event,) = events(db, "user.password_reset")
        assert event.data == {"username": "tonga", "tokens_revoked": 1, "sessions_revoked": 1}
        assert NEW_PASSWORD not in json.dumps(event.data)

    @pytest.mark.parametrize(
        ("password", "confirmation", "field", "message"),
        [
            ("too short", "too short", "password", "at least 10 characters"),
            (NEW_PASSWORD, NEW_PASSWORD + "!", "password_confirm", "do not match"),
            (NEW_PASSWORD, "", "password_confirm", "do not match"),
            ("", "", "password", "at least 10 characters"),
        ],
    )
    def test_bad_input_is_shown_on_its_field_and_nothing_changes(
        self,
        app: FastAPI,
        world: World,
        db: Database,
        password: str,
        confirmation: str,
        field: str,
        message: str,
    ) -> None:
        coord = signed_in(app, "coord")
        before = counts(db)

        response = post_form(
            coord,
            f"/users/{world.users['tonga']}/password",
            {"password": password, "password_confirm": confirmation},
        )

        assert response.status_code == 422
        marker = f'<p id="e-{field}" class="field-error">'
        assert message in response.text.split(marker)[1].split("</p>")[0]
        assert counts(db) == before
        assert sign_in(browser(app), "tonga", PASSWORD).status_code == 303
        assert world.get("tonga", "/api/v1/me").status_code == 200

    def test_resetting_your_own_password_signs_you_out(
        self, app: FastAPI, world: World, db: Database
    ) -> None:
        coord = signed_in(app, "coord")

        response = post_form(
            coord,
            f"/users/{world.users['coord']}/password",
            {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        )

        assert response.status_code == 303
        assert response.headers["location"] == "/login"
        assert coord.get("/users").status_code == 303
        assert sign_in(coord, "coord", NEW_PASSWORD).status_code == 303
        assert coord.get("/users").status_code == 200
