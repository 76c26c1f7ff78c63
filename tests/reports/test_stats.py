"""GET /api/v1/stats: the pipeline counts, scoped to the caller."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from donations.db import Database
from donations.models import Pledge
from tests.factories import World
from tests.shipments.helpers import close, deploy, ready_pledge, receive, sent

ZERO = {
    "pledged": 0,
    "allocated": 0,
    "packed": 0,
    "in_transit": 0,
    "received": 0,
    "missing": 0,
    "deployed": 0,
    "damaged": 0,
}


def stages(**counts: int) -> dict[str, int]:
    return ZERO | counts


def stats(world: World, who: str) -> dict[str, Any]:
    return world.ok(world.get(who, "/api/v1/stats"))  # type: ignore[no-any-return]


@pytest.fixture
def programme(world: World) -> None:
    """Korea Post pledges 10 (4 to Tonga, 3 to Fiji): 4 sent to Tonga, of which 1 received
    damaged then deployed, 1 received good, 2 in transit; 2 packed for Fiji (draft).
    Japan Post pledges 5 (2 to Tonga): 2 sent, closed unscanned, so missing."""
    korea = ready_pledge(world, quantity=10, allocations={"TOPOST": 4, "FJPOST": 3})
    _, to_tonga = sent(world, korea["id"], count=4)
    receive(world, to_tonga[0]["tag"], condition="damaged", note="dented")
    deploy(world, to_tonga[0]["tag"])
    receive(world, to_tonga[1]["tag"])
    sent(world, korea["id"], recipient="FJPOST", count=2, dispatched=False)
    japan = ready_pledge(world, who="japan", quantity=5, allocations={"TOPOST": 2}, prefix="JP")
    s, _ = sent(world, japan["id"], count=2, who="japan")
    world.ok(close(world, s["id"]))


KOREA_TO = stages(pledged=4, allocated=4, in_transit=2, received=1, deployed=1, damaged=1)
KOREA_FJ = stages(pledged=3, allocated=3, packed=2)
JAPAN_TO = stages(pledged=2, allocated=2, missing=2)
KOREA = stages(pledged=10, allocated=7, packed=2, in_transit=2, received=1, deployed=1, damaged=1)
JAPAN = stages(pledged=5, allocated=2, missing=2)


class TestStats:
    """Exact counts per stage for every role."""

    def test_empty(self, world: World) -> None:
        assert stats(world, "coord") == {"total": ZERO, "by_country": {}, "by_donor": {}}

    def test_coordinator_sees_everything(self, world: World, programme: None) -> None:
        assert stats(world, "coord") == {
            "total": stages(
                pledged=15,
                allocated=9,
                packed=2,
                in_transit=2,
                received=1,
                missing=2,
                deployed=1,
                damaged=1,
            ),
            "by_country": {
                "FJ": KOREA_FJ,
                "TO": stages(
                    pledged=6,
                    allocated=6,
                    in_transit=2,
                    received=1,
                    missing=2,
                    deployed=1,
                    damaged=1,
                ),
            },
            "by_donor": {"JPPOST": JAPAN, "KRPOST": KOREA},
        }

    def test_donor_sees_only_its_pledges(self, world: World, programme: None) -> None:
        assert stats(world, "korea") == {
            "total": KOREA,
            "by_country": {"FJ": KOREA_FJ, "TO": KOREA_TO},
            "by_donor": {"KRPOST": KOREA},
        }

    def test_other_donor_sees_nothing_of_korea(self, world: World, programme: None) -> None:
        assert stats(world, "japan") == {
            "total": JAPAN,
            "by_country": {"TO": JAPAN_TO},
            "by_donor": {"JPPOST": JAPAN},
        }

    def test_recipient_pledged_is_what_is_allocated_to_it(
        self, world: World, programme: None
    ) -> None:
        tonga_total = stages(
            pledged=6, allocated=6, in_transit=2, received=1, missing=2, deployed=1, damaged=1
        )
        assert stats(world, "tonga") == {
            "total": tonga_total,
            "by_country": {"TO": tonga_total},
            "by_donor": {"JPPOST": JAPAN_TO, "KRPOST": KOREA_TO},
        }

    def test_recipient_sees_no_drafts(self, world: World, programme: None) -> None:
        """Fiji's 2 items are packed in a draft: the donor's work in progress."""
        fiji_total = stages(pledged=3, allocated=3)
        assert stats(world, "fiji") == {
            "total": fiji_total,
            "by_country": {"FJ": fiji_total},
            "by_donor": {"KRPOST": fiji_total},
        }

    def test_damaged_counts_after_deployment(self, world: World) -> None:
        p = ready_pledge(world, quantity=3)
        _, packed = sent(world, p["id"], count=3)
        for item in packed:
            receive(world, item["tag"], condition="damaged")
        deploy(world, packed[0]["tag"])
        deploy(world, packed[1]["tag"])
        total = stats(world, "coord")["total"]
        assert total == stages(pledged=3, allocated=3, received=1, deployed=2, damaged=3)

    def test_missing_found_later_moves_to_received(self, world: World) -> None:
        p = ready_pledge(world, quantity=2)
        s, packed = sent(world, p["id"], count=2)
        world.ok(close(world, s["id"]))
        assert stats(world, "tonga")["total"]["missing"] == 2
        receive(world, packed[0]["tag"])
        total = stats(world, "tonga")["total"]
        assert total["missing"] == 1 and total["received"] == 1

    def test_cancelled_pledge_quantities_are_not_counted(
        self, world: World, db: Database, programme: None
    ) -> None:
        expected = {who: stats(world, who) for who in ("coord", "korea", "tonga", "fiji")}
        cancelled = ready_pledge(world, quantity=8, allocations={"TOPOST": 3, "FJPOST": 2})
        _set_status(db, cancelled["id"], "cancelled")
        for who, before in expected.items():
            assert stats(world, who) == before, who

    def test_cancelled_pledge_items_are_not_counted(
        self, world: World, db: Database, programme: None
    ) -> None:
        expected = {who: stats(world, who) for who in ("coord", "korea", "tonga", "fiji")}
        cancelled = ready_pledge(world, quantity=8, allocations={"TOPOST": 3, "FJPOST": 2})
        _, to_tonga = sent(world, cancelled["id"], count=3)
        receive(world, to_tonga[0]["tag"], condition="damaged")
        sent(world, cancelled["id"], recipient="FJPOST", count=2, dispatched=False)
        _set_status(db, cancelled["id"], "cancelled")
        for who, before in expected.items():
            assert stats(world, who) == before, who

    def test_closed_pledge_is_still_counted(self, world: World, db: Database) -> None:
        p = ready_pledge(world, quantity=4, allocations={"TOPOST": 4})
        sent(world, p["id"], count=2)
        _set_status(db, p["id"], "closed")
        total = stats(world, "coord")["total"]
        assert total == stages(pledged=4, allocated=4, in_transit=2)

    def test_anonymous_is_401(self, world: World) -> None:
        assert world.get(None, "/api/v1/stats").status_code == 401


def _set_status(db: Database, pledge_id: int, status: str) -> None:
    """Pledge status has no API yet: set it in the database."""
    with db.session() as session:
        session.execute(update(Pledge).where(Pledge.id == pledge_id).values(status=status))
        session.commit()
