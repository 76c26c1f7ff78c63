"""Only coordinators administer organisations and users: every route, every role."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from donations.db import Database
from tests.admin.helpers import (
    browser,
    counts,
    post_form,
    signed_in,
)
from tests.factories import World

PAGES = ["/organisations", "/organisations/new", "/users", "/users/new", "/users/{tonga}"]
FORMS = [
    (
        "/organisations/new",
        {"code": "NZPOST", "name": "NZ Post", "country": "NZ", "kind": "recipient"},
    ),
    (
        "/users/new",
        {
            "username": "intruder",
            "role": "coordinator",
            "language": "en",
            "password": "long enough password",
            "password_confirm": "long enough password",
        },
    ),
    ("/users/{tonga}/active", {"active": "false"}),
    (
        "/users/{tonga}/password",
        {"password": "long enough password", "password_confirm": "long enough password"},
    ),
]


def url(world: World, template: str) -> str:
    return template.format(tonga=world.users["tonga"])


class TestPages:
    @pytest.mark.parametrize("page", PAGES)
    def test_coordinator_sees_the_page(self, app: FastAPI, world: World, page: str) -> None:
        response = signed_in(app, "coord").get(url(world, page))

        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")

    @pytest.mark.parametrize("who", ["korea", "tonga"])
    @pytest.mark.parametrize("page", PAGES)
    def test_donor_and_recipient_get_the_403_page(
        self, app: FastAPI, world: World, page: str, who: str
    ) -> None:
        response = signed_in(app, who).get(url(world, page))

        assert response.status_code == 403
        assert "Not allowed" in response.text

    @pytest.mark.parametrize("page", PAGES)
    def test_anonymous_is_sent_to_sign_in(self, app: FastAPI, world: World, page: str) -> None:
        response = browser(app).get(url(world, page))

        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/")


class TestForms:
    @pytest.mark.parametrize("who", ["korea", "tonga"])
    @pytest.mark.parametrize(("action", "data"), FORMS)
    def test_donor_and_recipient_are_refused_and_nothing_is_written(
        self, app: FastAPI, world: World, db: Database, action: str, data: dict[str, str], who: str
    ) -> None:
        client = signed_in(app, who)
        before = counts(db)

        response = post_form(client, url(world, action), data)

        assert response.status_code == 403
        assert counts(db) == before
        assert world.get("tonga", "/api/v1/me").status_code == 200  # still active, same token

    @pytest.mark.parametrize(("action", "data"), FORMS)
    def test_anonymous_is_sent_to_sign_in(
        self, app: FastAPI, world: World, action: str, data: dict[str, str]
    ) -> None:
        response = post_form(browser(app), url(world, action), data)

        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")

    @pytest.mark.parametrize(("action", "data"), FORMS)
    def test_a_form_without_the_csrf_token_is_refused(
        self, app: FastAPI, world: World, db: Database, action: str, data: dict[str, str]
    ) -> None:
        client = signed_in(app, "coord")
        before = counts(db)

        response = client.post(url(world, action), data=data)

        assert response.status_code == 403
        assert counts(db) == before


class TestNavigation:
    def test_coordinator_navigation_links_the_admin_pages(self, app: FastAPI, world: World) -> None:
        page = signed_in(app, "coord").get("/events").text

        assert 'href="/organisations"' in page
        assert 'href="/users"' in page

    @pytest.mark.parametrize("who", ["korea", "tonga"])
    def test_other_roles_do_not_see_them(self, app: FastAPI, world: World, who: str) -> None:
        page = signed_in(app, who).get("/events").text

        assert 'href="/organisations"' not in page
        assert 'href="/users"' not in page
