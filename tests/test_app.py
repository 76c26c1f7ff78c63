"""The app as a whole: health, OpenAPI, error shapes, migrations."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from donations.app import create_app
from donations.config import Settings
from donations.db import Base, Database
from tests.factories import World


class TestHealth:
    def test_ok_when_the_database_answers(self, client: TestClient) -> None:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_503_when_the_database_does_not_answer(self, settings: Settings) -> None:
        broken = settings.model_copy(
            update={
                "database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                "auto_migrate": False,
            }
        )
        with TestClient(create_app(broken)) as client:
            response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"


class TestOpenAPI:
    def test_every_operation_is_described(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                assert operation.get("description"), f"{method.upper()} {path} has no description"

    def test_request_bodies_have_examples(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        schemas = spec["components"]["schemas"]
        for name in (
            "PledgeCreate",
            "ShipmentCreate",
            "ScanRequest",
            "AllocationCreate",
            "OrganisationCreate",
            "UserCreate",
            "PackRequest",
            "ItemsCreate",
        ):
            assert schemas[name].get("examples"), f"{name} has no example"

    def test_docs_page_is_served(self, client: TestClient) -> None:
        assert client.get("/docs").status_code == 200


class TestErrors:
    def test_validation_errors_are_a_string_naming_the_field(self, world: World) -> None:
        response = world.post(
            "korea",
            "/api/v1/pledges",
            json={"title": "Computers", "category": "computer", "quantity": 0},
        )
        assert response.status_code == 422
        body = response.json()
        assert isinstance(body["detail"], str)
        assert body["detail"].startswith("quantity:")
        assert body["errors"][0]["loc"] == ["body", "quantity"]

    def test_missing_token_is_401(self, client: TestClient) -> None:
        response = client.get("/api/v1/me")
        assert response.status_code == 401
        assert "not authenticated" in response.json()["detail"]

    def test_unknown_route_is_404_json(self, client: TestClient) -> None:
        assert client.get("/api/v1/nothing-here").status_code == 404


class TestMigrations:
    def test_migrations_match_the_models(self, db: Database) -> None:
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []

    def test_upgrade_is_idempotent(self, db: Database) -> None:
        from donations import migrate

        migrate.upgrade(db.engine)
        migrate.upgrade(db.engine)
        assert migrate.current_revision(db.engine) is not None

    def test_sqlite_runs_in_wal_mode(self, db: Database) -> None:
        if not db.is_sqlite:
            return
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


class TestEventsAreAppendOnly:
    def test_the_database_refuses_to_update_or_delete_events(
        self, world: World, db: Database
    ) -> None:
        import pytest
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        world.post("korea", "/api/v1/pledges", json={"title": "T", "category": "c", "quantity": 1})
        for statement in ("UPDATE events SET kind = 'forged'", "DELETE FROM events"):
            with db.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(statement))
        with db.engine.connect() as conn:
            assert (
                conn.execute(
                    text("SELECT count(*) FROM events WHERE kind = 'pledge.created'")
                ).scalar()
                == 1
            )
