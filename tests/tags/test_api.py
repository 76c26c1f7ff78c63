"""GET /api/v1/tags/{tag}: what a tag names, and how much of it the caller may see."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from donations.db import Database
from donations.models import Item, Shipment
from donations.pledges.schemas import ItemRead
from donations.shipments.schemas import ShipmentRead
from tests.factories import World, allocate, items, pledge
from tests.shipments.helpers import receive, sent

PUBLIC = {"type", "tag", "title", "category", "model", "donor", "donor_name", "programme"}
PLEDGE_FIELDS = {"title", "category", "donor", "donor_name", "programme"}
PROGRAMME = "South-South and Triangular Cooperation"


@pytest.fixture
def shipped(world: World) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A Korea Post pledge under a programme; a dispatched shipment of 2 to Tonga Post."""
    p = pledge(world, quantity=6, programme=PROGRAMME)
    items(world, p["id"], 6)
    allocate(world, p["id"], "TOPOST", 3)
    allocate(world, p["id"], "FJPOST", 3)
    s, packed = sent(world, p["id"], count=2)
    return p, s, packed


def look_up(world: World, tag: str, who: str | None = None) -> dict[str, Any]:
    return world.ok(world.get(who, f"/api/v1/tags/{tag}"))  # type: ignore[no-any-return]


class TestItemTag:
    """An item's tag."""

    def test_anonymous_sees_only_public_fields(self, world: World, shipped: Any) -> None:
        _, _, packed = shipped
        found = look_up(world, packed[0]["tag"])
        assert found == {
            "type": "item",
            "tag": packed[0]["tag"],
            "title": "Green computers",
            "category": "computer",
            "model": "Samsung DM500",
            "donor": "KRPOST",
            "donor_name": "Korea Post",
            "programme": PROGRAMME,
        }

    def test_addressed_recipient_gets_the_item(self, world: World, shipped: Any) -> None:
        _, _, packed = shipped
        found = look_up(world, packed[0]["tag"], "tonga")
        assert set(found) == set(ItemRead.model_fields) | PUBLIC
        assert found["type"] == "item" and found["id"] == packed[0]["id"]
        assert found["serial"] == packed[0]["serial"] and found["recipient"] == "TOPOST"
        assert found["state"] == "in_transit" and found["shipment_id"] == packed[0]["shipment_id"]
        assert found["donor"] == "KRPOST" and found["programme"] == PROGRAMME

    @pytest.mark.parametrize("who", ["coord", "korea"])
    def test_coordinator_and_owning_donor_get_the_item(
        self, world: World, shipped: Any, who: str
    ) -> None:
        _, _, packed = shipped
        found = look_up(world, packed[0]["tag"], who)
        assert set(found) == set(ItemRead.model_fields) | PUBLIC
        assert found["serial"] == packed[0]["serial"] and found["state"] == "in_transit"

    def test_owning_donor_sees_an_unshipped_item(self, world: World, shipped: Any) -> None:
        p, _, _ = shipped
        page = world.ok(world.get("korea", f"/api/v1/pledges/{p['id']}/items"))
        pledged = next(i for i in page["data"] if i["state"] == "pledged")
        found = look_up(world, pledged["tag"], "korea")
        assert found["state"] == "pledged" and found["recipient"] is None

    def test_another_recipient_sees_only_public_fields(self, world: World, shipped: Any) -> None:
        _, _, packed = shipped
        found = look_up(world, packed[0]["tag"], "fiji")
        assert set(found) == PUBLIC
        assert found == look_up(world, packed[0]["tag"])

    def test_another_donor_sees_only_public_fields(self, world: World, shipped: Any) -> None:
        _, _, packed = shipped
        assert set(look_up(world, packed[0]["tag"], "japan")) == PUBLIC

    def test_recipient_sees_only_public_fields_before_dispatch(self, world: World) -> None:
        p = pledge(world, quantity=2)
        items(world, p["id"], 2)
        allocate(world, p["id"], "TOPOST", 2)
        _, packed = sent(world, p["id"], count=1, dispatched=False)
        assert set(look_up(world, packed[0]["tag"], "tonga")) == PUBLIC

    def test_received_item_shows_its_condition_to_the_recipient(
        self, world: World, shipped: Any
    ) -> None:
        _, _, packed = shipped
        receive(world, packed[0]["tag"], condition="damaged")
        found = look_up(world, packed[0]["tag"], "tonga")
        assert found["state"] == "received" and found["condition"] == "damaged"
        assert set(look_up(world, packed[0]["tag"])) == PUBLIC

    def test_bad_token_is_401_not_anonymous(self, world: World, shipped: Any) -> None:
        _, _, packed = shipped
        response = world.client.get(
            f"/api/v1/tags/{packed[0]['tag']}", headers={"Authorization": "Bearer nonsense"}
        )
        assert response.status_code == 401, response.text
        assert "token" in response.json()["detail"]


class TestShipmentTag:
    """A shipment's own tag (the carton label)."""

    def test_anonymous_sees_only_public_fields(self, world: World, shipped: Any) -> None:
        _, s, _ = shipped
        found = look_up(world, s["tag"])
        assert found == {
            "type": "shipment",
            "tag": s["tag"],
            "title": "Green computers",
            "category": "computer",
            "model": None,
            "donor": "KRPOST",
            "donor_name": "Korea Post",
            "programme": PROGRAMME,
        }

    @pytest.mark.parametrize("who", ["tonga", "coord", "korea"])
    def test_allowed_callers_get_the_shipment(self, world: World, shipped: Any, who: str) -> None:
        _, s, _ = shipped
        found = look_up(world, s["tag"], who)
        assert set(found) == set(ShipmentRead.model_fields) | PLEDGE_FIELDS | {"type"}
        assert found["type"] == "shipment" and found["id"] == s["id"]
        assert found["status"] == "dispatched" and found["item_count"] == 2
        assert found["recipient"] == "TOPOST" and found["origin"] == "KRPOST"
        assert found["donor_name"] == "Korea Post"

    @pytest.mark.parametrize("who", ["fiji", "japan"])
    def test_others_see_only_public_fields(self, world: World, shipped: Any, who: str) -> None:
        _, s, _ = shipped
        assert set(look_up(world, s["tag"], who)) == PUBLIC

    def test_recipient_sees_only_public_fields_of_a_draft(self, world: World) -> None:
        p = pledge(world, quantity=2)
        items(world, p["id"], 2)
        allocate(world, p["id"], "TOPOST", 2)
        draft, _ = sent(world, p["id"], count=1, dispatched=False)
        assert set(look_up(world, draft["tag"], "tonga")) == PUBLIC
        assert look_up(world, draft["tag"], "korea")["status"] == "draft"


class TestTagInput:
    """Unknown, malformed and forgiving input."""

    def test_unknown_tag_is_404(self, world: World) -> None:
        response = world.get(None, "/api/v1/tags/0000-0000-0000")
        assert response.status_code == 404, response.text
        assert response.json()["detail"] == "no item or shipment with tag 000000000000"

    @pytest.mark.parametrize(
        ("raw", "problem"),
        [("7KQ2-9XHM", "got 8 characters"), ("7KQ2-9XHM-3PDU", "'U' is not allowed")],
    )
    def test_malformed_tag_is_422(self, world: World, raw: str, problem: str) -> None:
        response = world.get("coord", f"/api/v1/tags/{raw}")
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail.startswith("tag:") and problem in detail

    def test_forgiving_item_tag(self, world: World, db: Database, shipped: Any) -> None:
        _, _, packed = shipped
        with db.session() as session:
            session.execute(
                update(Item).where(Item.id == packed[0]["id"]).values(tag="7KQ29XHM1PD0")
            )
            session.commit()
        for typed in (
            "7kq2-9xhm-1pd0",
            "7KQ2 9XHM LPDO",
            "7kq29xhmipdo",
            "7KQ2\u20139XHM\u20131PD0",
        ):
            found = look_up(world, typed, "tonga")
            assert found["id"] == packed[0]["id"] and found["tag"] == "7KQ29XHM1PD0", typed

    def test_forgiving_shipment_tag(self, world: World, db: Database, shipped: Any) -> None:
        _, s, _ = shipped
        with db.session() as session:
            session.execute(
                update(Shipment).where(Shipment.id == s["id"]).values(tag="AB01CD0EF1GH")
            )
            session.commit()
        found = look_up(world, "abo1-cdoe-fLgh")
        assert found["type"] == "shipment" and found["tag"] == "AB01CD0EF1GH"
