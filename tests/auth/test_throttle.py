"""Login throttling: per username and per client address, kept in the database."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from donations import clock
from donations.app import create_app
from donations.config import Settings
from tests.factories import PASSWORD, World

TOKEN = "/api/v1/auth/token"


def attempt(client: TestClient, username: str, password: str) -> int:
    return client.post(TOKEN, data={"username": username, "password": password}).status_code


class TestPerUsername:
    def test_five_failures_lock_the_username_even_with_the_right_password(
        self, world: World
    ) -> None:
        client = world.client
        assert [attempt(client, "tonga", "wrong password!") for _ in range(5)] == [401] * 5
        response = client.post(TOKEN, data={"username": "tonga", "password": PASSWORD})
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "900"
        assert "too many failed sign-ins" in response.json()["detail"]
        assert attempt(client, "fiji", PASSWORD) == 200  # other users are not affected

    def test_the_lock_ends_after_the_window(self, world: World) -> None:
        for _ in range(5):
            attempt(world.client, "tonga", "wrong password!")
        with clock.frozen_at(clock.now() + timedelta(minutes=16)):
            assert attempt(world.client, "tonga", PASSWORD) == 200

    def test_a_success_clears_earlier_failures(self, world: World) -> None:
        for _ in range(4):
            attempt(world.client, "tonga", "wrong password!")
        assert attempt(world.client, "tonga", PASSWORD) == 200
        for _ in range(4):
            assert attempt(world.client, "tonga", "wrong password!") == 401
        assert attempt(world.client, "tonga", PASSWORD) == 200

    def test_unknown_usernames_are_counted_and_answered_alike(self, world: World) -> None:
        bodies = {
            world.client.post(TOKEN, data={"username": u, "password": "nope nope"}).text
            for u in ("tonga", "nobody-here")
        }
        assert len(bodies) == 1


class TestPerClient:
    def test_thirty_failures_from_one_address_lock_every_username(self, world: World) -> None:
        for n in range(30):
            attempt(world.client, f"guess{n}", "wrong password!")
        assert attempt(world.client, "fiji", PASSWORD) == 429


class TestAcrossProcesses:
    def test_failures_counted_by_one_app_lock_the_other(
        self, world: World, settings: Settings
    ) -> None:
        for _ in range(5):
            attempt(world.client, "tonga", "wrong password!")
        other = create_app(settings)  # a second process on the same database
        with TestClient(other) as second:
            assert attempt(second, "tonga", PASSWORD) == 429
        other.state.db.dispose()


class TestWebLogin:
    def test_the_login_form_is_throttled_too(self, world: World) -> None:
        client = world.client
        client.get("/login")
        csrf = client.cookies.get("donations_csrf")
        for _ in range(5):
            response = client.post(
                "/login",
                data={"username": "tonga", "password": "wrong password!", "csrf_token": csrf},
            )
            assert response.status_code == 401
            assert "Wrong username or password" in response.text
        response = client.post(
            "/login", data={"username": "tonga", "password": PASSWORD, "csrf_token": csrf}
        )
        assert response.status_code == 429
        assert "Too many failed sign-ins" in response.text
