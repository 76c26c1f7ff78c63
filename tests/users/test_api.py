"""Users through the JSON API: POST and GET /api/v1/users."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import USERS, World

URL = "/api/v1/users"
PASSWORD = "a long enough passphrase"


def new_user(**extra: Any) -> dict[str, Any]:
    return {
        "username": "tonga.receiving",
        "password": PASSWORD,
        "role": "recipient",
        "organisation": "TOPOST",
    } | extra


def usernames(world: World) -> list[str]:
    return [u["username"] for u in world.ok(world.get("coord", f"{URL}?limit=1000"))["data"]]


def can_log_in(client: TestClient, username: str, password: str = PASSWORD) -> bool:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    return response.status_code == 200


class TestCreateUser:
    def test_coordinator_creates_a_recipient_who_can_log_in(
        self, world: World, client: TestClient
    ) -> None:
        created = world.ok(
            world.post("coord", URL, json=new_user(display_name="Sione Fifita", language="fr")),
            201,
        )

        assert created == {
            "id": created["id"],
            "username": "tonga.receiving",
            "display_name": "Sione Fifita",
            "role": "recipient",
            "organisation": "TOPOST",
            "active": True,
            "language": "fr",
        }
        assert can_log_in(client, "tonga.receiving")
        events = world.ok(world.get("coord", "/api/v1/events?kind=user.created"))["data"]
        assert events[0]["data"] == {
            "username": "tonga.receiving",
            "role": "recipient",
            "organisation": "TOPOST",
        }
        assert events[0]["actor"] == "coord"

    def test_username_is_lower_cased_and_display_name_defaults_to_it(self, world: World) -> None:
        created = world.ok(world.post("coord", URL, json=new_user(username=" Tonga.Two ")), 201)

        assert created["username"] == "tonga.two"
        assert created["display_name"] == "tonga.two"
        assert created["language"] == "en"

    def test_blank_display_name_falls_back_to_the_username(self, world: World) -> None:
        created = world.ok(world.post("coord", URL, json=new_user(display_name="   ")), 201)

        assert created["display_name"] == "tonga.receiving"

    def test_donor_may_belong_to_a_donor_or_partner_organisation(self, world: World) -> None:
        for username, org in [("korea.two", "KRPOST"), ("japan.two", "JPPOST")]:
            created = world.ok(
                world.post(
                    "coord", URL, json=new_user(username=username, role="donor", organisation=org)
                ),
                201,
            )
            assert created["organisation"] == org

    def test_coordinator_without_organisation(self, world: World) -> None:
        created = world.ok(
            world.post(
                "coord",
                URL,
                json=new_user(username="coord2", role="coordinator", organisation=None),
            ),
            201,
        )

        assert created["organisation"] is None
        assert created["role"] == "coordinator"

    @pytest.mark.parametrize("org", ["TOPOST", "KRPOST"])
    def test_coordinator_in_a_donor_or_recipient_organisation_is_422(
        self, world: World, org: str
    ) -> None:
        response = world.post(
            "coord", URL, json=new_user(username="coord2", role="coordinator", organisation=org)
        )

        assert response.status_code == 422
        assert response.json()["detail"].startswith(
            f"organisation: a coordinator cannot belong to {org}"
        )
        assert "coord2" not in usernames(world)

    @pytest.mark.parametrize("who", ["korea", "japan", "tonga", "fiji"])
    def test_donor_and_recipient_are_403(self, world: World, client: TestClient, who: str) -> None:
        response = world.post(who, URL, json=new_user())

        assert response.status_code == 403
        assert "coordinator" in response.json()["detail"]
        assert not can_log_in(client, "tonga.receiving")

    @pytest.mark.parametrize("username", ["korea", "KOREA", " korea "])
    def test_duplicate_username_is_409(
        self, world: World, client: TestClient, username: str
    ) -> None:
        response = world.post(
            "coord",
            URL,
            json=new_user(username=username, role="donor", organisation="KRPOST"),
        )

        assert response.status_code == 409
        assert response.json()["detail"] == "username: 'korea' is taken"
        assert usernames(world) == [name for name, *_ in USERS]
        assert not can_log_in(client, "korea", PASSWORD)

    @pytest.mark.parametrize("username", ["a", "", "tonga receiving", "tonga@post", "-tonga"])
    def test_bad_username_is_422_naming_username(self, world: World, username: str) -> None:
        response = world.post("coord", URL, json=new_user(username=username))

        assert response.status_code == 422
        assert response.json()["detail"].startswith("username: ")

    @pytest.mark.parametrize("password", ["", "short", "123456789"])
    def test_short_password_is_422_naming_password(
        self, world: World, client: TestClient, password: str
    ) -> None:
        response = world.post("coord", URL, json=new_user(password=password))

        assert response.status_code == 422
        detail = response.json()["detail"]
        assert detail == "password: password must be at least 10 characters"
        assert "tonga.receiving" not in usernames(world)

    def test_password_is_never_echoed(self, world: World) -> None:
        secret = "sekrit-9"

        response = world.post("coord", URL, json=new_user(password=secret))

        assert response.status_code == 422
        assert secret not in response.text

    def test_unknown_role_is_422_naming_role(self, world: World) -> None:
        response = world.post("coord", URL, json=new_user(role="admin"))

        assert response.status_code == 422
        assert response.json()["detail"].startswith("role: ")

    def test_unknown_language_is_422_naming_language(self, world: World) -> None:
        response = world.post("coord", URL, json=new_user(language="de"))

        assert response.status_code == 422
        assert response.json()["detail"].startswith("language: ")

    @pytest.mark.parametrize("organisation", [None, ""])
    def test_recipient_without_organisation_is_422(
        self, world: World, organisation: str | None
    ) -> None:
        response = world.post("coord", URL, json=new_user(organisation=organisation))

        assert response.status_code == 422
        assert response.json()["detail"] == (
            "organisation: a recipient must belong to an organisation"
        )
        assert "tonga.receiving" not in usernames(world)

    def test_donor_without_organisation_is_422(self, world: World) -> None:
        response = world.post("coord", URL, json=new_user(role="donor", organisation=None))

        assert response.status_code == 422
        assert response.json()["detail"] == "organisation: a donor must belong to an organisation"

    @pytest.mark.parametrize("org", ["KRPOST", "JPPOST"])
    def test_recipient_in_a_donor_or_partner_organisation_is_422(
        self, world: World, org: str
    ) -> None:
        response = world.post("coord", URL, json=new_user(organisation=org))

        assert response.status_code == 422
        detail = response.json()["detail"]
        assert detail.startswith(f"organisation: a recipient cannot belong to {org}")
        assert "tonga.receiving" not in usernames(world)

    def test_donor_in_a_recipient_organisation_is_422(self, world: World) -> None:
        response = world.post("coord", URL, json=new_user(role="donor", organisation="FJPOST"))

        assert response.status_code == 422
        assert response.json()["detail"] == (
            "organisation: a donor cannot belong to FJPOST, a recipient organisation"
        )

    def test_unknown_organisation_is_422_naming_organisation(self, world: World) -> None:
        response = world.post("coord", URL, json=new_user(organisation="NOPOST"))

        assert response.status_code == 422
        assert response.json()["detail"] == "organisation: unknown organisation code 'NOPOST'"
        assert "tonga.receiving" not in usernames(world)

    def test_organisation_code_is_case_insensitive(self, world: World) -> None:
        created = world.ok(world.post("coord", URL, json=new_user(organisation="topost")), 201)

        assert created["organisation"] == "TOPOST"


class TestListUsers:
    def test_coordinator_lists_every_user(self, world: World) -> None:
        page = world.ok(world.get("coord", URL))

        assert [(u["username"], u["role"], u["organisation"]) for u in page["data"]] == USERS
        assert page["next"] is None
        assert all("password" not in key for u in page["data"] for key in u)

    @pytest.mark.parametrize("who", ["korea", "japan", "tonga", "fiji"])
    def test_donor_and_recipient_are_403(self, world: World, who: str) -> None:
        response = world.get(who, URL)

        assert response.status_code == 403
        assert "coordinator" in response.json()["detail"]

    def test_cursor_paging(self, world: World) -> None:
        first = world.ok(world.get("coord", f"{URL}?limit=2"))
        second = world.ok(world.get("coord", f"{URL}?limit=2&after={first['next']}"))
        third = world.ok(world.get("coord", f"{URL}?limit=2&after={second['next']}"))

        names = [u["username"] for page in (first, second, third) for u in page["data"]]
        assert names == [name for name, *_ in USERS]
        assert third["next"] is None

    def test_limit_above_1000_is_422(self, world: World) -> None:
        response = world.get("coord", f"{URL}?limit=1001")

        assert response.status_code == 422
        assert "limit" in response.json()["detail"]
