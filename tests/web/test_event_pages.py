"""The audit trail page `/events`: its filters (organisation, kind, tag, dates), the
`results` block htmx swaps in alone, paging, and its scope (a donor sees its own pledges'
events, a recipient only what concerns it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from html import unescape
from typing import Any

import pytest

from donations import clock
from donations.db import Database
from donations.events.service import Actor
from donations.models import User
from donations.pledges import service as pledge_service
from donations.pledges.schemas import PledgeCreate
from tests import factories
from tests.factories import World
from tests.shipments.helpers import receive, sent
from tests.web.helpers import WebClient, main_of, text_of
from tests.web.staff import block_only, full_page, htmx_get, varies_on_htmx

SignedIn = Callable[[str], WebClient]
LONG_AGO = (clock.now() - timedelta(days=400)).replace(hour=12, minute=0, second=0, microsecond=0)


class Trail:
    """A Korea Post pledge recorded long ago; a Korea Post pledge of 5 allocated 3 to Tonga
    Post and 2 to Post Fiji, with a shipment of 2 dispatched to each post and one item
    received by Tonga Post; a Japan Post pledge."""

    def __init__(self, world: World, db: Database) -> None:
        with clock.frozen_at(LONG_AGO), db.session() as session:
            coordinator = session.get(User, world.users["coord"])
            assert coordinator is not None
            pledge_service.create(
                session,
                pledge_in=PledgeCreate(
                    title="Old printers", category="printer", quantity=2, donor="KRPOST"
                ),
                actor=Actor(coordinator, source="web"),
                user=coordinator,
            )
            session.commit()
        self.pledge = factories.pledge(world, quantity=5, title="Green computers")
        factories.items(world, self.pledge["id"], 5)
        factories.allocate(world, self.pledge["id"], "TOPOST", 3)
        factories.allocate(world, self.pledge["id"], "FJPOST", 2)
        self.tonga, self.tonga_items = sent(world, self.pledge["id"], count=2)
        self.fiji, self.fiji_items = sent(world, self.pledge["id"], recipient="FJPOST", count=2)
        self.received = self.tonga_items[0]
        receive(world, self.received["tag"])
        self.japan = factories.pledge(world, who="japan", quantity=3, title="Japanese scales")


@pytest.fixture
def trail(world: World, db: Database) -> Trail:
    return Trail(world, db)


def rows(html: str) -> list[tuple[str, str]]:
    """(kind, subject link) of every row of the results table, newest first."""
    section = html[html.index('id="results"') :]
    found = []
    for kind, row in re.findall(r'<tr data-kind="([a-z.]+)">(.*?)</tr>', section, flags=re.S):
        link = re.search(r'href="([^"]+)"', row)
        found.append((kind, unescape(link.group(1)) if link else ""))
    return found


def kinds(html: str) -> list[str]:
    return [kind for kind, _ in rows(html)]


def dashed(tag: str) -> str:
    return f"{tag[:4]}-{tag[4:8]}-{tag[8:]}".lower()


class TestFilters:
    @pytest.fixture
    def coord(self, signed_in: SignedIn) -> WebClient:
        return signed_in("coord")

    def test_everything_newest_first(self, coord: WebClient, trail: Trail) -> None:
        response = coord.get("/events")
        assert response.status_code == 200
        varies_on_htmx(response)
        found = kinds(full_page(response))
        # The world's users, the old pledge, ..., the Japan Post pledge last.
        assert found[-6:] == ["pledge.created"] + ["user.created"] * 5
        assert found[:2] == ["pledge.created", "item.received"]
        assert found.count("item.packed") == 4 and found.count("shipment.dispatched") == 2
        text = text_of(main_of(response.text))
        assert "TOPOST × 3" in text and "Green computers × 5" in text

    def test_by_organisation(self, coord: WebClient, trail: Trail) -> None:
        fiji = kinds(coord.get("/events?organisation=FJPOST").text)
        assert sorted(set(fiji)) == [
            "allocation.created",
            "item.dispatched",
            "shipment.dispatched",
        ]
        # typed in lower case, the same
        assert kinds(coord.get("/events?organisation=fjpost").text) == fiji
        page = coord.get("/events?organisation=fjpost").text
        assert '<option value="FJPOST" selected>' in page
        japan = kinds(coord.get("/events?organisation=JPPOST").text)
        assert japan == ["pledge.created"]

    def test_kinds_are_named_in_the_pages_language(
        self, coord: WebClient, signed_in: SignedIn, trail: Trail
    ) -> None:
        """The names come from the timeline's; each page gets them in its own language."""
        english = coord.get("/events?kind=item.received").text
        assert '<option value="item.received" selected>Received</option>' in english
        assert '<option value="user.created" >User added</option>' in english
        row = english[english.index('<tr data-kind="item.received">') :]
        assert "<strong" in row and ">Received</strong>" in row[: row.index("</tr>")]
        assert "scanned" in text_of(row[: row.index("</tr>")])
        french = signed_in("korea")
        assert french.post("/language", {"lang": "fr", "next": "/events"}).status_code == 303
        page = french.get("/events?kind=item.received").text
        assert '<option value="item.received" selected>Réceptionné</option>' in page
        assert ">Réceptionné</strong>" in page
        # and English again for the coordinator: nothing was kept from the French page
        assert ">Received</strong>" in coord.get("/events?kind=item.received").text

    def test_an_unknown_organisation_matches_nothing(self, coord: WebClient, trail: Trail) -> None:
        page = coord.get("/events?organisation=NOPOST").text
        assert rows(page) == [] and "No events match." in page

    def test_by_kind(self, coord: WebClient, trail: Trail) -> None:
        page = coord.get("/events?kind=item.received").text
        assert rows(page) == [("item.received", f"/t/{trail.received['tag']}")]
        assert '<option value="item.received" selected>' in page

    def test_by_item_tag_typed_in_lower_case_with_dashes(
        self, coord: WebClient, trail: Trail
    ) -> None:
        tag = trail.received["tag"]
        page = coord.get("/events", params={"tag": dashed(tag)}).text
        assert rows(page) == [
            ("item.received", f"/t/{tag}"),
            ("item.dispatched", f"/t/{tag}"),
            ("item.packed", f"/t/{tag}"),
        ]
        assert f'value="{dashed(tag)}"' in page  # the filter keeps what was typed

    def test_by_shipment_tag(self, coord: WebClient, trail: Trail) -> None:
        page = coord.get("/events", params={"tag": dashed(trail.fiji["tag"])}).text
        found = kinds(page)
        assert found[0] == "shipment.dispatched" and found[-1] == "shipment.created"
        assert found.count("item.packed") == 2 and found.count("item.dispatched") == 2
        assert "item.received" not in found
        assert ("shipment.dispatched", f"/shipments/{trail.fiji['id']}") in rows(page)

    def test_an_unknown_tag_says_so(self, coord: WebClient, trail: Trail) -> None:
        page = coord.get("/events", params={"tag": "0000-0000-0000"}).text
        assert "No item or shipment has this tag." in page and rows(page) == []
        assert "No item or shipment has this tag." in coord.get("/events?tag=nonsense!").text

    def test_by_dates(self, coord: WebClient, trail: Trail) -> None:
        day = LONG_AGO.date()
        old = coord.get("/events", params={"since": day.isoformat(), "until": day.isoformat()})
        assert rows(old.text) == [("pledge.created", "/pledges/1")]
        assert "Old printers × 2" in text_of(main_of(old.text))
        today = clock.now().date()
        recent = kinds(
            coord.get("/events", params={"since": (day + timedelta(days=1)).isoformat()}).text
        )
        assert recent.count("pledge.created") == 2 and "item.received" in recent
        until = kinds(
            coord.get("/events", params={"until": (day - timedelta(days=1)).isoformat()}).text
        )
        assert until == []
        upto_today = kinds(coord.get("/events", params={"until": today.isoformat()}).text)
        assert upto_today.count("pledge.created") == 3

    def test_filters_combine(self, coord: WebClient, trail: Trail) -> None:
        page = coord.get("/events?organisation=topost&kind=shipment.dispatched").text
        assert rows(page) == [("shipment.dispatched", f"/shipments/{trail.tonga['id']}")]

    def test_the_results_block_alone_for_htmx(self, coord: WebClient, trail: Trail) -> None:
        response = htmx_get(coord, "/events?kind=item.received", "results")
        varies_on_htmx(response)
        block = block_only(response, "results")
        assert block.startswith('<section id="results" class="card">')
        assert kinds(block) == ["item.received"]
        assert 'name="organisation"' not in block  # the filters stay as they are
        full_page(coord.get("/events?kind=item.received"))

    def test_older_events_keep_the_filters(self, coord: WebClient, world: World) -> None:
        many = factories.pledge(world, quantity=60)
        factories.items(world, many["id"], 60)
        factories.allocate(world, many["id"], "TOPOST", 60)
        sent(world, many["id"], count=55, dispatched=False)
        first = coord.get("/events?kind=item.packed&organisation=KRPOST").text
        assert kinds(first) == ["item.packed"] * 50
        more = re.search(r'href="(/events\?[^"]+)"[^>]*>Older events', first)
        assert more, "no link to older events"
        url = unescape(more.group(1))
        assert "kind=item.packed" in url and "organisation=KRPOST" in url and "after=" in url
        assert kinds(coord.get(url).text) == ["item.packed"] * 5


class TestScope:
    def test_a_donor_sees_only_its_pledges_events(self, signed_in: SignedIn, trail: Trail) -> None:
        japan = kinds(signed_in("japan").get("/events").text)
        assert japan == ["pledge.created"]
        korea = signed_in("korea").get("/events").text
        found = kinds(korea)
        assert found.count("pledge.created") == 2 and "user.created" not in found
        assert "Japanese scales" not in korea
        assert f"/pledges/{trail.japan['id']}" not in korea
        # Filtering does not reach beyond the scope.
        assert kinds(signed_in("japan").get("/events?organisation=KRPOST").text) == []

    def test_a_recipient_sees_only_its_own(self, signed_in: SignedIn, trail: Trail) -> None:
        tonga = signed_in("tonga").get("/events").text
        found = kinds(tonga)
        assert "pledge.created" not in found and "shipment.created" not in found
        assert found.count("item.dispatched") == 2 and found.count("item.received") == 1
        assert "allocation.created" in found
        assert trail.fiji["tag"] not in tonga and f"/shipments/{trail.fiji['id']}" not in tonga
        for it in trail.fiji_items:
            assert it["tag"] not in tonga
        fiji_filter = signed_in("tonga").get("/events", params={"tag": dashed(trail.fiji["tag"])})
        assert rows(fiji_filter.text) == []

    @pytest.mark.parametrize("who", ["korea", "tonga"])
    def test_htmx_results_are_scoped_too(self, signed_in: SignedIn, trail: Trail, who: str) -> None:
        block = block_only(
            htmx_get(signed_in(who), "/events?kind=pledge.created", "results"), "results"
        )
        expected: dict[str, Any] = {"korea": 2, "tonga": 0}
        assert kinds(block).count("pledge.created") == expected[who]

    def test_anonymous_is_sent_to_sign_in(self, anonymous: WebClient) -> None:
        response = anonymous.get("/events")
        assert response.status_code in (302, 303)
        assert response.headers["location"].startswith("/login?next=/events")
