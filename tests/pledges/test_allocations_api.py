"""Allocations through the JSON API: GET and POST /api/v1/pledges/{id}/allocations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import World, allocate, pledge

ROLES = {"korea": "donor", "japan": "donor", "tonga": "recipient", "fiji": "recipient"}


def url(pledge_id: int) -> str:
    return f"/api/v1/pledges/{pledge_id}/allocations"


def allocations(world: World, pledge_id: int) -> list[dict[str, Any]]:
    return world.ok(world.get("coord", url(pledge_id)))  # type: ignore[no-any-return]


def allocated(world: World, pledge_id: int) -> int:
    return world.ok(world.get("coord", f"/api/v1/pledges/{pledge_id}"))["allocated"]  # type: ignore[no-any-return]


def allocation_events(world: World, pledge_id: int) -> list[dict[str, Any]]:
    page = world.ok(
        world.get("coord", f"/api/v1/events?kind=allocation.created&pledge_id={pledge_id}")
    )
    return page["data"]  # type: ignore[no-any-return]


@pytest.fixture
def ten(world: World) -> dict[str, Any]:
    """Korea's pledge of 10 units, 6 of them allocated to Tonga."""
    p = pledge(world, quantity=10)
    allocate(world, p["id"], "TOPOST", 6)
    return p


class TestAllocate:
    def test_coordinator_allocates(self, world: World) -> None:
        p = pledge(world, quantity=10)

        created = world.ok(
            world.post("coord", url(p["id"]), json={"recipient": "TOPOST", "quantity": 4}), 201
        )

        assert created == {
            "id": created["id"],
            "pledge_id": p["id"],
            "recipient": "TOPOST",
            "quantity": 4,
        }
        assert allocated(world, p["id"]) == 4
        [event] = allocation_events(world, p["id"])
        assert event["data"] == {"recipient": "TOPOST", "quantity": 4}
        assert event["actor"] == "coord"

    def test_allocations_add_up_to_exactly_the_quantity(
        self, world: World, ten: dict[str, Any]
    ) -> None:
        allocate(world, ten["id"], "FJPOST", 3)
        allocate(world, ten["id"], "topost", 1)

        assert allocated(world, ten["id"]) == 10
        assert [(a["recipient"], a["quantity"]) for a in allocations(world, ten["id"])] == [
            ("TOPOST", 6),
            ("FJPOST", 3),
            ("TOPOST", 1),
        ]

    @pytest.mark.parametrize("who", ["korea", "japan", "tonga", "fiji"])
    def test_only_a_coordinator_allocates(
        self, world: World, ten: dict[str, Any], who: str
    ) -> None:
        response = world.post(who, url(ten["id"]), json={"recipient": "FJPOST", "quantity": 1})

        assert response.status_code == 403
        assert response.json()["detail"] == f"this needs the role coordinator; you are {ROLES[who]}"
        assert allocated(world, ten["id"]) == 6

    @pytest.mark.parametrize(
        ("recipient", "quantity", "detail"),
        [
            ("FJPOST", 5, "only 4 remain, not 5"),
            ("TOPOST", 5, "only 4 remain, not 5"),
            ("FJPOST", 1000, "only 4 remain, not 1000"),
        ],
    )
    def test_over_allocation_is_409_naming_the_numbers(
        self, world: World, ten: dict[str, Any], recipient: str, quantity: int, detail: str
    ) -> None:
        before = allocations(world, ten["id"])

        response = world.post(
            "coord", url(ten["id"]), json={"recipient": recipient, "quantity": quantity}
        )

        assert response.status_code == 409
        assert response.json()["detail"] == (
            f"quantity: pledge {ten['id']} has 10 units, 6 allocated; {detail}"
        )
        assert allocations(world, ten["id"]) == before
        assert allocated(world, ten["id"]) == 6
        assert len(allocation_events(world, ten["id"])) == 1

    def test_first_allocation_above_the_quantity_is_409(self, world: World) -> None:
        p = pledge(world, quantity=10)

        response = world.post("coord", url(p["id"]), json={"recipient": "TOPOST", "quantity": 11})

        assert response.status_code == 409
        assert response.json()["detail"] == (
            f"quantity: pledge {p['id']} has 10 units, 0 allocated; only 10 remain, not 11"
        )
        assert allocations(world, p["id"]) == []
        assert allocation_events(world, p["id"]) == []

    def test_fully_allocated_pledge_takes_no_more(self, world: World, ten: dict[str, Any]) -> None:
        allocate(world, ten["id"], "FJPOST", 4)

        response = world.post("coord", url(ten["id"]), json={"recipient": "WSPOST", "quantity": 1})

        assert response.status_code == 409
        assert response.json()["detail"].endswith("10 allocated; only 0 remain, not 1")
        assert allocated(world, ten["id"]) == 10

    @pytest.mark.parametrize(("code", "kind"), [("KRPOST", "donor"), ("JPPOST", "partner")])
    def test_allocation_to_a_non_recipient_organisation_is_422(
        self, world: World, ten: dict[str, Any], code: str, kind: str
    ) -> None:
        response = world.post("coord", url(ten["id"]), json={"recipient": code, "quantity": 1})

        assert response.status_code == 422
        assert response.json()["detail"] == (
            f"recipient: {code} is a {kind} organisation, not a recipient"
        )
        assert allocated(world, ten["id"]) == 6

    def test_unknown_recipient_is_422(self, world: World, ten: dict[str, Any]) -> None:
        response = world.post("coord", url(ten["id"]), json={"recipient": "NOPOST", "quantity": 1})

        assert response.status_code == 422
        assert response.json()["detail"] == "recipient: unknown organisation code 'NOPOST'"
        assert allocated(world, ten["id"]) == 6

    @pytest.mark.parametrize("quantity", [0, -1, 1.5, "two", None])
    def test_bad_quantity_is_422_naming_quantity(
        self, world: World, ten: dict[str, Any], quantity: Any
    ) -> None:
        response = world.post(
            "coord", url(ten["id"]), json={"recipient": "FJPOST", "quantity": quantity}
        )

        assert response.status_code == 422
        assert response.json()["detail"].startswith("quantity: ")
        assert allocated(world, ten["id"]) == 6

    def test_missing_recipient_is_422_naming_recipient(
        self, world: World, ten: dict[str, Any]
    ) -> None:
        response = world.post("coord", url(ten["id"]), json={"quantity": 1})

        assert response.status_code == 422
        assert response.json()["detail"].startswith("recipient: ")

    def test_unknown_pledge_is_404(self, world: World) -> None:
        response = world.post("coord", url(999999), json={"recipient": "TOPOST", "quantity": 1})

        assert response.status_code == 404
        assert response.json()["detail"] == "pledge 999999 not found"


class TestListAllocations:
    @pytest.mark.parametrize("who", ["coord", "korea"])
    def test_donor_and_coordinator_see_the_allocations(
        self, world: World, ten: dict[str, Any], who: str
    ) -> None:
        allocate(world, ten["id"], "FJPOST", 2)

        got = world.ok(world.get(who, url(ten["id"])))

        assert [(a["pledge_id"], a["recipient"], a["quantity"]) for a in got] == [
            (ten["id"], "TOPOST", 6),
            (ten["id"], "FJPOST", 2),
        ]

    def test_pledge_without_allocations_is_an_empty_list(self, world: World) -> None:
        p = pledge(world)

        assert world.ok(world.get("korea", url(p["id"]))) == []

    def test_another_donor_is_404(self, world: World, ten: dict[str, Any]) -> None:
        response = world.get("japan", url(ten["id"]))

        assert response.status_code == 404
        assert response.json()["detail"] == f"pledge {ten['id']} not found"

    @pytest.mark.parametrize("who", ["tonga", "fiji"])
    def test_recipient_is_403(self, world: World, ten: dict[str, Any], who: str) -> None:
        response = world.get(who, url(ten["id"]))

        assert response.status_code == 403
