"""Scenario helpers for shipment, scan, tag, stats and event tests (on top of
tests.factories): a pledge ready to ship, packing, dispatching, scanning."""

from __future__ import annotations

from typing import Any

from tests.factories import World, allocate, items, pledge, shipment


def ready_pledge(
    world: World,
    *,
    who: str = "korea",
    quantity: int = 10,
    registered: int | None = None,
    allocations: dict[str, int] | None = None,
    prefix: str = "SN",
) -> dict[str, Any]:
    """A pledge with `registered` items (default: all) and the given allocations
    (default: everything to TOPOST)."""
    p = pledge(world, who=who, quantity=quantity)
    count = quantity if registered is None else registered
    if count:
        items(world, p["id"], count, who=who, prefix=prefix)
    for code, amount in (allocations if allocations is not None else {"TOPOST": quantity}).items():
        allocate(world, p["id"], code, amount)
    return p


def pledge_items(world: World, pledge_id: int, who: str = "coord") -> list[dict[str, Any]]:
    page = world.ok(world.get(who, f"/api/v1/pledges/{pledge_id}/items", params={"limit": 1000}))
    return page["data"]  # type: ignore[no-any-return]


def pack(world: World, shipment_id: int, who: str = "korea", **body: Any) -> Any:
    return world.post(who, f"/api/v1/shipments/{shipment_id}/items", json=body)


def dispatch(world: World, shipment_id: int, who: str = "korea", **body: Any) -> Any:
    return world.post(who, f"/api/v1/shipments/{shipment_id}/dispatch", json=body)


def close(world: World, shipment_id: int, who: str = "tonga") -> Any:
    return world.post(who, f"/api/v1/shipments/{shipment_id}/close")


def get_shipment(world: World, shipment_id: int, who: str = "coord") -> dict[str, Any]:
    return world.ok(world.get(who, f"/api/v1/shipments/{shipment_id}"))  # type: ignore[no-any-return]


def shipment_items(world: World, shipment_id: int, who: str = "coord") -> list[dict[str, Any]]:
    return world.ok(world.get(who, f"/api/v1/shipments/{shipment_id}/items"))  # type: ignore[no-any-return]


def sent(
    world: World,
    pledge_id: int,
    *,
    recipient: str = "TOPOST",
    count: int = 3,
    who: str = "korea",
    dispatched: bool = True,
    **extra: Any,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A shipment of `count` items of the pledge to `recipient`, dispatched unless told not
    to. Returns the shipment and its items, as the coordinator sees them."""
    s = shipment(world, pledge_id, recipient, who=who, **extra)
    world.ok(pack(world, s["id"], who=who, count=count))
    if dispatched:
        world.ok(dispatch(world, s["id"], who=who))
    return get_shipment(world, s["id"]), shipment_items(world, s["id"])


def scan(world: World, tag: str, who: str = "tonga", action: str = "receive", **body: Any) -> Any:
    return world.post(who, "/api/v1/scans", json={"tag": tag, "action": action} | body)


def receive(world: World, tag: str, who: str = "tonga", **body: Any) -> dict[str, Any]:
    return world.ok(scan(world, tag, who=who, **body))  # type: ignore[no-any-return]


def deploy(
    world: World, tag: str, who: str = "tonga", site: str = "Nuku'alofa PO", **body: Any
) -> dict[str, Any]:
    return world.ok(scan(world, tag, who=who, action="deploy", site=site, **body))  # type: ignore[no-any-return]
