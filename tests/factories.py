"""Small helpers that build test data through the services, with sensible defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from donations.auth import service as auth_service
from donations.db import Database
from donations.events.service import Actor
from donations.models import Organisation, User
from donations.users import service as user_service
from donations.users.schemas import UserCreate

PASSWORD = "correct horse battery"

ORGS = [
    ("KRPOST", "Korea Post", "KR", "donor", "Seoul", 37.5665, 126.978),
    ("JPPOST", "Japan Post", "JP", "partner", "Tokyo", 35.6762, 139.6503),
    ("TOPOST", "Tonga Post", "TO", "recipient", "Nuku'alofa", -21.1393, -175.2049),
    ("FJPOST", "Post Fiji", "FJ", "recipient", "Suva", -18.1405, 178.4233),
    ("WSPOST", "SamoaPost", "WS", "recipient", "Apia", -13.8507, -171.7514),
    (
        "UPUIB",
        "Universal Postal Union International Bureau",
        "CH",
        "partner",
        "Bern",
        46.9388,
        7.4753,
    ),
]

USERS = [
    ("coord", "coordinator", "UPUIB"),
    ("korea", "donor", "KRPOST"),
    ("japan", "donor", "JPPOST"),
    ("tonga", "recipient", "TOPOST"),
    ("fiji", "recipient", "FJPOST"),
]


def make_org(
    session: Session,
    code: str,
    name: str,
    country: str,
    kind: str,
    city: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
) -> Organisation:
    org = Organisation(
        code=code, name=name, country=country, kind=kind, city=city, lat=lat, lon=lon
    )
    session.add(org)
    session.flush()
    return org


def make_user(session: Session, username: str, role: str, organisation: str | None) -> User:
    return user_service.create(
        session,
        user_in=UserCreate(
            username=username, password=PASSWORD, role=role, organisation=organisation
        ),
        actor=Actor(None, source="cli"),
    )


@dataclass
class World:
    """The cast of most tests: a coordinator, two donors, two recipient posts."""

    client: TestClient
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)

    def as_(self, username: str | None) -> dict[str, str]:
        return self.headers[username] if username else {}

    def get(self, who: str | None, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.as_(who), **kw)

    def post(self, who: str | None, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers=self.as_(who), **kw)

    def delete(self, who: str | None, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self.as_(who), **kw)

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()


def build_world(client: TestClient, database: Database) -> World:
    world = World(client=client)
    with database.session() as session:
        for code, name, country, kind, city, lat, lon in ORGS:
            make_org(session, code, name, country, kind, city, lat, lon)
        for username, role, org in USERS:
            user = make_user(session, username, role, org)
            token, _ = auth_service.issue_token(session, user=user, ttl=timedelta(hours=1))
            world.headers[username] = {"Authorization": f"Bearer {token}"}
            world.users[username] = user.id
        session.commit()
    return world


def pledge(world: World, who: str = "korea", quantity: int = 10, **extra: Any) -> dict[str, Any]:
    body = {"title": "Green computers", "category": "computer", "quantity": quantity} | extra
    return world.ok(world.post(who, "/api/v1/pledges", json=body), 201)  # type: ignore[no-any-return]


def items(
    world: World, pledge_id: int, count: int, who: str = "korea", prefix: str = "SN"
) -> list[dict[str, Any]]:
    body = {
        "items": [{"serial": f"{prefix}{i:04d}", "model": "Samsung DM500"} for i in range(count)]
    }
    return world.ok(world.post(who, f"/api/v1/pledges/{pledge_id}/items", json=body), 201)["data"]  # type: ignore[no-any-return]


def allocate(world: World, pledge_id: int, recipient: str, quantity: int) -> dict[str, Any]:
    return world.ok(  # type: ignore[no-any-return]
        world.post(
            "coord",
            f"/api/v1/pledges/{pledge_id}/allocations",
            json={"recipient": recipient, "quantity": quantity},
        ),
        201,
    )


def shipment(
    world: World, pledge_id: int, recipient: str, who: str = "korea", **extra: Any
) -> dict[str, Any]:
    body = {
        "pledge_id": pledge_id,
        "recipient": recipient,
        "mode": "air",
        "carrier": "Korean Air Cargo",
    } | extra
    return world.ok(world.post(who, "/api/v1/shipments", json=body), 201)  # type: ignore[no-any-return]


def shipped(
    world: World,
    *,
    quantity: int = 10,
    packed: int = 5,
    recipient: str = "TOPOST",
    dispatch: bool = True,
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A pledge with items, allocated to `recipient`, and a shipment of `packed` of them."""
    p = pledge(world, quantity=quantity)
    items(world, p["id"], quantity)
    allocate(world, p["id"], recipient, quantity)
    s = shipment(world, p["id"], recipient)
    world.ok(world.post("korea", f"/api/v1/shipments/{s['id']}/items", json={"count": packed}))
    if dispatch:
        world.ok(world.post("korea", f"/api/v1/shipments/{s['id']}/dispatch", json={}))
    packed_items = world.ok(world.get("coord", f"/api/v1/shipments/{s['id']}/items"))
    return p, world.ok(world.get("coord", f"/api/v1/shipments/{s['id']}")), packed_items
