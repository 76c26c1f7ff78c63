"""Signing in through the JSON API: POST/DELETE /api/v1/auth/token and bearer tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from donations import clock
from donations.auth import service as auth_service
from donations.db import Database
from donations.models import ApiToken, User
from tests.factories import PASSWORD, World

WRONG_LOGIN = "wrong username or password"
BAD_TOKEN = "invalid, expired or revoked token"
NO_TOKEN = "not authenticated: send Authorization: Bearer <token>"


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def deactivate(db: Database, user_id: int) -> None:
    with db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.active = False
        session.commit()


def token_count(db: Database) -> int:
    with db.session(write=False) as session:
        return session.scalar(select(func.count(ApiToken.id))) or 0


class TestIssueToken:
    def test_right_password_gives_a_bearer_token_that_works(
        self, client: TestClient, world: World
    ) -> None:
        response = client.post(
            "/api/v1/auth/token", data={"username": "korea", "password": PASSWORD}
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["access_token"]
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.status_code == 200, me.text
        assert me.json()["username"] == "korea"
        assert me.json()["role"] == "donor"
        assert me.json()["organisation"] == "KRPOST"
        assert "password" not in me.text and "password_hash" not in me.json()

    def test_token_expires_after_the_configured_lifetime(
        self, client: TestClient, world: World
    ) -> None:
        before = datetime.now(UTC)
        response = client.post(
            "/api/v1/auth/token", data={"username": "korea", "password": PASSWORD}
        )

        expires_at = datetime.fromisoformat(response.json()["expires_at"])
        ttl = timedelta(hours=client.app.state.settings.token_ttl_hours)  # type: ignore[attr-defined]
        assert before + ttl - timedelta(minutes=1) < expires_at < datetime.now(UTC) + ttl

    def test_username_is_case_and_space_insensitive(self, client: TestClient, world: World) -> None:
        headers = login(client, "  KOREA ")

        assert client.get("/api/v1/me", headers=headers).json()["username"] == "korea"

    def test_each_login_gives_a_new_token(self, client: TestClient, world: World) -> None:
        first, second = login(client, "korea"), login(client, "korea")

        assert first != second
        assert client.get("/api/v1/me", headers=first).status_code == 200
        assert client.get("/api/v1/me", headers=second).status_code == 200

    def test_wrong_password_is_401(self, client: TestClient, world: World, db: Database) -> None:
        tokens = token_count(db)

        response = client.post(
            "/api/v1/auth/token", data={"username": "korea", "password": "not the password"}
        )

        assert response.status_code == 401
        assert response.json() == {"detail": WRONG_LOGIN}
        assert token_count(db) == tokens

    def test_unknown_user_gets_the_same_401_as_a_wrong_password(
        self, client: TestClient, world: World
    ) -> None:
        wrong_password = client.post(
            "/api/v1/auth/token", data={"username": "korea", "password": "not the password"}
        )
        unknown_user = client.post(
            "/api/v1/auth/token", data={"username": "nobody", "password": PASSWORD}
        )

        assert unknown_user.status_code == wrong_password.status_code == 401
        assert unknown_user.json() == wrong_password.json() == {"detail": WRONG_LOGIN}

    def test_inactive_user_cannot_sign_in(
        self, client: TestClient, world: World, db: Database
    ) -> None:
        deactivate(db, world.users["tonga"])

        response = client.post(
            "/api/v1/auth/token", data={"username": "tonga", "password": PASSWORD}
        )

        assert response.status_code == 401
        assert response.json() == {"detail": WRONG_LOGIN}

    def test_inactive_users_existing_token_stops_working(
        self, client: TestClient, world: World, db: Database
    ) -> None:
        assert world.get("tonga", "/api/v1/me").status_code == 200

        deactivate(db, world.users["tonga"])

        response = world.get("tonga", "/api/v1/me")
        assert response.status_code == 401
        assert response.json() == {"detail": BAD_TOKEN}

    def test_missing_password_field_is_422(self, client: TestClient, world: World) -> None:
        response = client.post("/api/v1/auth/token", data={"username": "korea"})

        assert response.status_code == 422
        assert "password" in response.json()["detail"]

    def test_json_body_instead_of_form_is_422(self, client: TestClient, world: World) -> None:
        response = client.post(
            "/api/v1/auth/token", json={"username": "korea", "password": PASSWORD}
        )

        assert response.status_code == 422
        assert "username" in response.json()["detail"]


class TestBearerToken:
    def test_garbage_token_is_401(self, client: TestClient, world: World) -> None:
        response = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})

        assert response.status_code == 401
        assert response.json() == {"detail": BAD_TOKEN}

    def test_token_issued_with_a_short_ttl_expires(
        self, client: TestClient, world: World, db: Database
    ) -> None:
        with db.session() as session:
            user = session.get(User, world.users["korea"])
            assert user is not None
            with clock.frozen_at(datetime.now(UTC) - timedelta(minutes=5)):
                raw, _ = auth_service.issue_token(session, user=user, ttl=timedelta(seconds=1))
            session.commit()

        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})

        assert response.status_code == 401
        assert response.json() == {"detail": BAD_TOKEN}

    def test_token_works_until_it_expires(self, client: TestClient, world: World) -> None:
        headers = login(client, "korea")
        ttl = timedelta(hours=client.app.state.settings.token_ttl_hours)  # type: ignore[attr-defined]
        now = datetime.now(UTC)

        with clock.frozen_at(now + ttl - timedelta(minutes=1)):
            still_valid = client.get("/api/v1/me", headers=headers)
        with clock.frozen_at(now + ttl + timedelta(minutes=1)):
            expired = client.get("/api/v1/me", headers=headers)

        assert still_valid.status_code == 200, still_valid.text
        assert expired.status_code == 401
        assert expired.json() == {"detail": BAD_TOKEN}

    def test_revoked_token_is_401(self, client: TestClient, world: World) -> None:
        headers = login(client, "korea")

        revoked = client.delete("/api/v1/auth/token", headers=headers)

        assert revoked.status_code == 204
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"detail": BAD_TOKEN}

    def test_revoking_twice_is_401(self, client: TestClient, world: World) -> None:
        headers = login(client, "korea")
        assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204

        response = client.delete("/api/v1/auth/token", headers=headers)

        assert response.status_code == 401
        assert response.json() == {"detail": BAD_TOKEN}

    def test_revoking_one_token_keeps_the_users_other_tokens(
        self, client: TestClient, world: World
    ) -> None:
        phone, laptop = login(client, "korea"), login(client, "korea")

        assert client.delete("/api/v1/auth/token", headers=phone).status_code == 204

        assert client.get("/api/v1/me", headers=phone).status_code == 401
        assert client.get("/api/v1/me", headers=laptop).status_code == 200
        assert world.get("korea", "/api/v1/me").status_code == 200

    def test_revoke_without_token_is_401(self, client: TestClient, world: World) -> None:
        response = client.delete("/api/v1/auth/token")

        assert response.status_code == 401
        assert response.json() == {"detail": NO_TOKEN}

    def test_other_scheme_than_bearer_is_not_authenticated(
        self, client: TestClient, world: World
    ) -> None:
        response = client.get("/api/v1/me", headers={"Authorization": "Basic a29yZWE6eA=="})

        assert response.status_code == 401
        assert response.json() == {"detail": NO_TOKEN}


PROTECTED = [
    ("GET", "/api/v1/me"),
    ("DELETE", "/api/v1/auth/token"),
    ("GET", "/api/v1/organisations"),
    ("POST", "/api/v1/organisations"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("GET", "/api/v1/pledges"),
    ("POST", "/api/v1/pledges"),
    ("GET", "/api/v1/pledges/1"),
    ("GET", "/api/v1/pledges/1/items"),
    ("POST", "/api/v1/pledges/1/items"),
    ("GET", "/api/v1/pledges/1/allocations"),
    ("POST", "/api/v1/pledges/1/allocations"),
]


class TestProtectedEndpoints:
    @pytest.mark.parametrize(("method", "path"), PROTECTED)
    def test_no_token_is_401(
        self, client: TestClient, world: World, method: str, path: str
    ) -> None:
        response = client.request(method, path, json={})

        assert response.status_code == 401, response.text
        assert response.json() == {"detail": NO_TOKEN}

    @pytest.mark.parametrize(("method", "path"), PROTECTED)
    def test_bad_token_is_401(
        self, client: TestClient, world: World, method: str, path: str
    ) -> None:
        response = client.request(
            method, path, json={}, headers={"Authorization": "Bearer expired-or-made-up"}
        )

        assert response.status_code == 401, response.text
        assert response.json() == {"detail": BAD_TOKEN}

    def test_no_token_on_an_upload_is_401(self, client: TestClient, world: World) -> None:
        response = client.post(
            "/api/v1/pledges/1/items", files={"file": ("s.csv", b"serial\nA1\n", "text/csv")}
        )

        assert response.status_code == 401
        assert response.json() == {"detail": NO_TOKEN}
