"""The shipment pages as the donor and the coordinator use them, signed in through the /login
form: the list and its status filter, a new shipment (the `recipients` block follows the
pledge), packing by count or by picking and unpacking (htmx swaps the `packing` block in
place), dispatch with the inline S10 check, the condensed timeline and the label sheet."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from httpx import Response

from donations.db import Database
from donations.web import CSRF_FIELD
from tests import factories
from tests.events.helpers import event_count
from tests.factories import World
from tests.shipments.helpers import get_shipment, pledge_items, shipment_items
from tests.web.helpers import WebClient, main_of, text_of
from tests.web.staff import (
    BAD_S10,
    VALID_S10,
    block_only,
    field_error,
    full_page,
    htmx_get,
    options,
    selected,
    toasts,
    value_of,
    varies_on_htmx,
)

SignedIn = Callable[[str], WebClient]


class Scenario:
    """A Korea Post pledge of 10 registered computers, 4 allocated to Tonga Post and 3 to
    Post Fiji, with a draft post shipment to Tonga Post (nothing packed yet)."""

    def __init__(self, world: World) -> None:
        self.pledge = factories.pledge(
            world, quantity=10, title="Green computers", programme="KOICA fund"
        )
        self.items = factories.items(world, self.pledge["id"], 10, prefix="KR-")
        factories.allocate(world, self.pledge["id"], "TOPOST", 4)
        factories.allocate(world, self.pledge["id"], "FJPOST", 3)
        self.shipment = factories.shipment(
            world, self.pledge["id"], "TOPOST", mode="post", carrier="Korea Post EMS"
        )
        self.id: int = self.shipment["id"]


@pytest.fixture
def scenario(world: World) -> Scenario:
    return Scenario(world)


@pytest.fixture
def korea(signed_in: SignedIn) -> WebClient:
    return signed_in("korea")


def post(
    browser: WebClient, url: str, data: dict[str, Any], *, target: str | None = None
) -> Response:
    """A form post (values may be lists: checkboxes), plainly or as htmx sends it."""
    headers = {"HX-Request": "true", "HX-Target": target} if target else {}
    return browser.http.post(url, data={CSRF_FIELD: browser.csrf()} | data, headers=headers)


def pack_api(world: World, shipment_id: int, count: int) -> None:
    world.ok(world.post("korea", f"/api/v1/shipments/{shipment_id}/items", json={"count": count}))


def states(world: World, pledge_id: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for it in pledge_items(world, pledge_id):
        found[it["state"]] = found.get(it["state"], 0) + 1
    return found


def counter(html: str) -> str:
    """The packing block's counter line: "2 packed · 2 more allowed for TOPOST (allocated 4)"."""
    start = html.index('<p class="counter">')
    return text_of(html[start : html.index("</p>", start)])


class TestAccess:
    @pytest.mark.parametrize("who", ["korea", "coord"])
    def test_donor_and_coordinator_open_the_pages(
        self, signed_in: SignedIn, scenario: Scenario, who: str
    ) -> None:
        browser = signed_in(who)
        listing = browser.get("/shipments")
        assert listing.status_code == 200
        assert f'href="/shipments/{scenario.id}"' in listing.text
        assert browser.get("/shipments/new").status_code == 200
        detail = browser.get(f"/shipments/{scenario.id}")
        assert detail.status_code == 200
        assert "Korea Post → Tonga Post" in detail.text
        assert browser.get(f"/shipments/{scenario.id}/labels").status_code == 200

    def test_a_recipient_sees_only_what_is_sent_to_it(
        self, signed_in: SignedIn, scenario: Scenario, world: World
    ) -> None:
        tonga = signed_in("tonga")
        assert f"/shipments/{scenario.id}" not in tonga.get("/shipments").text  # a draft
        pack_api(world, scenario.id, 2)
        world.ok(world.post("korea", f"/api/v1/shipments/{scenario.id}/dispatch", json={}))
        assert f'href="/shipments/{scenario.id}"' in tonga.get("/shipments").text
        assert f"/shipments/{scenario.id}" not in signed_in("fiji").get("/shipments").text
        # The detail page is the receiving checklist on the scan page.
        detail = tonga.get(f"/shipments/{scenario.id}")
        assert detail.status_code == 303
        assert detail.headers["location"] == f"/t/{scenario.shipment['tag']}"
        assert signed_in("fiji").get(f"/shipments/{scenario.id}").status_code == 404

    @pytest.mark.parametrize("path", ["/shipments/new", "/shipments/{id}/labels"])
    def test_a_recipient_gets_403_on_the_donors_pages(
        self, signed_in: SignedIn, scenario: Scenario, world: World, path: str
    ) -> None:
        pack_api(world, scenario.id, 1)
        world.ok(world.post("korea", f"/api/v1/shipments/{scenario.id}/dispatch", json={}))
        response = signed_in("tonga").get(path.format(id=scenario.id))
        assert response.status_code == 403, response.text

    @pytest.mark.parametrize("path", ["/shipments/{id}", "/shipments/{id}/labels"])
    def test_another_donor_gets_404(
        self, signed_in: SignedIn, scenario: Scenario, path: str
    ) -> None:
        japan = signed_in("japan")
        response = japan.get(path.format(id=scenario.id))
        assert response.status_code == 404, response.text
        assert scenario.shipment["tag"] not in response.text
        assert f"/shipments/{scenario.id}" not in japan.get("/shipments").text

    def test_another_donor_cannot_pack_or_dispatch(
        self, signed_in: SignedIn, scenario: Scenario, world: World, db: Database
    ) -> None:
        japan = signed_in("japan")
        before = event_count(db)
        assert post(japan, f"/shipments/{scenario.id}/pack", {"count": "1"}).status_code == 404
        assert post(japan, f"/shipments/{scenario.id}/dispatch", {}).status_code == 404
        assert event_count(db) == before
        assert get_shipment(world, scenario.id)["status"] == "draft"


class TestList:
    def test_the_status_filter(self, korea: WebClient, scenario: Scenario, world: World) -> None:
        pack_api(world, scenario.id, 2)
        world.ok(world.post("korea", f"/api/v1/shipments/{scenario.id}/dispatch", json={}))
        draft = factories.shipment(world, scenario.pledge["id"], "FJPOST")
        everything = korea.get("/shipments").text
        assert f'href="/shipments/{scenario.id}"' in everything
        assert f'href="/shipments/{draft["id"]}"' in everything
        drafts = korea.get("/shipments?status=draft").text
        assert f'href="/shipments/{draft["id"]}"' in drafts
        assert f'href="/shipments/{scenario.id}"' not in drafts
        assert '<option value="draft" selected>' in drafts
        sent = korea.get("/shipments?status=dispatched").text
        assert f'href="/shipments/{scenario.id}"' in sent and VALID_S10 not in sent
        assert "No shipments match." in korea.get("/shipments?status=closed").text


class TestNewShipment:
    def test_recipients_with_allocation_left_only(
        self, korea: WebClient, scenario: Scenario, world: World
    ) -> None:
        pack_api(world, scenario.id, 4)  # Tonga Post's allocation is all packed
        response = korea.get(f"/shipments/new?pledge={scenario.pledge['id']}")
        page = full_page(response)
        assert selected(page, "pledge_id") == str(scenario.pledge["id"])
        assert options(page, "recipient") == ["FJPOST"]
        assert "Post Fiji: 3 remaining" in page

    def test_the_recipients_block_follows_the_pledge(
        self, korea: WebClient, scenario: Scenario, world: World
    ) -> None:
        """htmx sends the select's own field, `pledge_id`, and swaps `#recipients` alone."""
        other = factories.pledge(world, quantity=5, title="Printers")
        factories.allocate(world, other["id"], "WSPOST", 5)
        url = f"/shipments/new?pledge_id={other['id']}"
        response = htmx_get(korea, url, "recipients")
        varies_on_htmx(response)
        block = block_only(response, "recipients")
        assert block.startswith('<div id="recipients">')
        assert re.findall(r'<option value="([A-Z]+)"', block) == ["WSPOST"]
        first = block_only(
            htmx_get(korea, f"/shipments/new?pledge_id={scenario.pledge['id']}", "recipients"),
            "recipients",
        )
        assert re.findall(r'<option value="([A-Z]+)"', first) == ["FJPOST", "TOPOST"]
        # The plain request gets the page, with the same choice made.
        page = full_page(korea.get(url))
        assert selected(page, "pledge_id") == str(other["id"])
        assert options(page, "recipient") == ["WSPOST"]

    def test_a_pledge_without_allocation_says_so(self, korea: WebClient, world: World) -> None:
        bare = factories.pledge(world, quantity=2)
        factories.pledge(world, quantity=2)  # two pledges: nothing is chosen for the user
        block = block_only(
            htmx_get(korea, f"/shipments/new?pledge_id={bare['id']}", "recipients"), "recipients"
        )
        assert "No recipient has allocation left on this pledge." in block
        assert "Choose a pledge first" in block_only(
            htmx_get(korea, "/shipments/new?pledge_id=", "recipients"), "recipients"
        )

    def test_a_bad_s10_number_for_the_post_is_422_next_to_the_field(
        self, korea: WebClient, scenario: Scenario, world: World, db: Database
    ) -> None:
        before = event_count(db)
        typed = {
            "pledge_id": str(scenario.pledge["id"]),
            "recipient": "FJPOST",
            "mode": "post",
            "carrier": "Korea Post EMS",
            "tracking_number": BAD_S10,
            "expected_arrival": "2027-01-15",
        }
        response = post(korea, "/shipments/new", typed)
        assert response.status_code == 422, response.text
        page = full_page(response)
        assert "wrong check digit 6" in field_error(page, "tracking_number")
        assert value_of(page, "tracking_number") == BAD_S10
        assert value_of(page, "carrier") == "Korea Post EMS"
        assert value_of(page, "expected_arrival") == "2027-01-15"
        assert selected(page, "recipient") == "FJPOST" and selected(page, "mode") == "post"
        assert event_count(db) == before
        assert world.ok(world.get("coord", "/api/v1/shipments"))["data"] == [scenario.shipment]

    def test_a_bad_number_is_fine_for_air_freight(
        self, korea: WebClient, scenario: Scenario
    ) -> None:
        typed = {
            "pledge_id": str(scenario.pledge["id"]),
            "recipient": "FJPOST",
            "mode": "air",
            "tracking_number": "180-12345675",
        }
        assert post(korea, "/shipments/new", typed).status_code == 303

    def test_a_shipment_starts_then_redirects_with_a_toast(
        self, korea: WebClient, scenario: Scenario, world: World
    ) -> None:
        typed = {
            "pledge_id": str(scenario.pledge["id"]),
            "recipient": "FJPOST",
            "mode": "post",
            "tracking_number": VALID_S10.lower(),
        }
        response = post(korea, "/shipments/new", typed)
        assert response.status_code == 303, response.text
        shipments = world.ok(world.get("coord", "/api/v1/shipments"))["data"]
        created = next(s for s in shipments if s["id"] != scenario.id)
        assert response.headers["location"] == f"/shipments/{created['id']}"
        assert created["recipient"] == "FJPOST" and created["tracking_number"] == VALID_S10
        page = korea.follow(response)
        assert toasts(page.text) == ["Shipment started: now pack its items."]
        assert "Korea Post → Post Fiji" in page.text

    def test_no_recipient_is_422(self, korea: WebClient, scenario: Scenario) -> None:
        typed = {"pledge_id": str(scenario.pledge["id"]), "recipient": "", "mode": "air"}
        response = post(korea, "/shipments/new", typed)
        assert response.status_code == 422
        assert 'class="field-error"' in response.text


class TestPacking:
    def test_the_detail_page_and_its_packing_block(
        self, korea: WebClient, scenario: Scenario
    ) -> None:
        response = korea.get(f"/shipments/{scenario.id}")
        varies_on_htmx(response)
        page = full_page(response)
        assert counter(page) == "0 packed · 4 more allowed for TOPOST (allocated 4)"
        block = block_only(htmx_get(korea, f"/shipments/{scenario.id}", "packing"), "packing")
        assert block.startswith('<section class="card" id="packing">')
        assert counter(block) == counter(page)
        assert "hx-swap-oob" not in block  # nothing else to update on a plain read

    def test_pack_by_count_plainly_redirects_with_a_toast(
        self, korea: WebClient, scenario: Scenario, world: World
    ) -> None:
        response = post(korea, f"/shipments/{scenario.id}/pack", {"count": "2"})
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/shipments/{scenario.id}#packing"
        page = korea.follow(response)
        assert toasts(page.text) == ["2 items packed."]
        assert counter(page.text) == "2 packed · 2 more allowed for TOPOST (allocated 4)"
        assert [i["serial"] for i in shipment_items(world, scenario.id)] == ["KR-0000", "KR-0001"]

    def test_pack_by_count_with_htmx_swaps_the_block_and_the_counts(
        self, korea: WebClient, scenario: Scenario, world: World
    ) -> None:
        response = post(korea, f"/shipments/{scenario.id}/pack", {"count": "3"}, target="packing")
        assert response.status_code == 200, response.text
        block = block_only(response, "packing")
        assert "3 items packed." in block
        assert counter(block) == "3 packed · 1 more allowed for TOPOST (allocated 4)"
        assert block.count('<span class="badge packed">') == 3
        assert 'max="1" value="1"' in block  # the count field offers what is left
        # The figures outside the block follow, swapped out of band.
        oob = block[block.index("</section>") :]
        assert '<dd id="shipment-items" hx-swap-oob="true">3</dd>' in oob
        button = oob[oob.index('id="dispatch-submit"') :]
        assert "Dispatch 3 items" in button and "disabled" not in button[: button.index(">")]
        assert states(world, scenario.pledge["id"]) == {"packed": 3, "pledged": 7}

    def test_pack_by_picking(self, korea: WebClient, scenario: Scenario, world: World) -> None:
        page = korea.get(f"/shipments/{scenario.id}").text
        picks = re.findall(r'name="item_ids" value="(\d+)"', page)
        assert len(picks) == 10
        chosen = [picks[2], picks[5]]
        response = post(
            korea, f"/shipments/{scenario.id}/pack", {"item_ids": chosen}, target="packing"
        )
        block = block_only(response, "packing")
        assert "2 items packed." in block
        packed = shipment_items(world, scenario.id)
        assert sorted(str(i["id"]) for i in packed) == sorted(chosen)
        assert {i["serial"] for i in packed} == {"KR-0002", "KR-0005"}
        left = re.findall(r'name="item_ids" value="(\d+)"', block)
        assert len(left) == 8 and not set(chosen) & set(left)

    @pytest.mark.parametrize("target", [None, "packing"])
    def test_never_above_the_remaining_allocation(
        self, korea: WebClient, scenario: Scenario, world: World, db: Database, target: str | None
    ) -> None:
        pack_api(world, scenario.id, 1)
        before = event_count(db)
        response = post(korea, f"/shipments/{scenario.id}/pack", {"count": "4"}, target=target)
        assert response.status_code == 422, response.text
        body = block_only(response, "packing") if target else full_page(response)
        section = body[body.index('id="packing"') :]
        alert = section[section.index('role="alert"') : section.index("</p>")]
        assert (
            f"TOPOST has 4 units allocated from pledge {scenario.pledge['id']} and 1 already "
            "packed or sent: 3 remain, not 4"
        ) in alert
        assert counter(section) == "1 packed · 3 more allowed for TOPOST (allocated 4)"
        assert event_count(db) == before
        assert states(world, scenario.pledge["id"]) == {"packed": 1, "pledged": 9}

    def test_picking_more_than_remains_is_refused_too(
        self, korea: WebClient, scenario: Scenario, world: World
    ) -> None:
        picks = re.findall(
            r'name="item_ids" value="(\d+)"', korea.get(f"/shipments/{scenario.id}").text
        )
        response = post(
            korea, f"/shipments/{scenario.id}/pack", {"item_ids": picks[:5]}, target="packing"
        )
        assert response.status_code == 422
        assert "4 remain, not 5" in block_only(response, "packing")
        assert shipment_items(world, scenario.id) == []

    def test_a_full_allocation_offers_no_more_packing(
        self, korea: WebClient, scenario: Scenario, world: World
    ) -> None:
        pack_api(world, scenario.id, 4)
        block = block_only(htmx_get(korea, f"/shipments/{scenario.id}", "packing"), "packing")
        assert "The recipient's allocation is fully packed." in text_of(block)
        assert 'name="count"' not in block and 'name="item_ids"' not in block

    def test_unpack_with_htmx_updates_the_counts(
        self, korea: WebClient, scenario: Scenario, world: World
    ) -> None:
        pack_api(world, scenario.id, 3)
        item = shipment_items(world, scenario.id)[1]
        url = f"/shipments/{scenario.id}/items/{item['id']}/unpack"
        assert f'hx-post="{url}"' in korea.get(f"/shipments/{scenario.id}").text
        response = post(korea, url, {}, target="packing")
        block = block_only(response, "packing")
        assert "Item taken out of the shipment." in block
        assert counter(block) == "2 packed · 2 more allowed for TOPOST (allocated 4)"
        assert item["serial"] not in block[: block.index("<details>")]
        assert '<dd id="shipment-items" hx-swap-oob="true">2</dd>' in block
        assert [i["serial"] for i in shipment_items(world, scenario.id)] == ["KR-0000", "KR-0002"]
        assert states(world, scenario.pledge["id"]) == {"packed": 2, "pledged": 8}

    def test_unpack_plainly_redirects(
        self, korea: WebClient, scenario: Scenario, world: World
    ) -> None:
        pack_api(world, scenario.id, 1)
        item = shipment_items(world, scenario.id)[0]
        response = post(korea, f"/shipments/{scenario.id}/items/{item['id']}/unpack", {})
        assert response.status_code == 303
        assert toasts(korea.follow(response).text) == ["Item taken out of the shipment."]
        assert shipment_items(world, scenario.id) == []

    def test_the_timeline_is_condensed(
        self, korea: WebClient, scenario: Scenario, world: World
    ) -> None:
        pack_api(world, scenario.id, 3)
        page = main_of(korea.get(f"/shipments/{scenario.id}").text)
        timeline = page[page.index('<ol class="timeline">') : page.index("</ol>")]
        assert timeline.count("<li>") == 2  # created, then one line for the 3 items packed
        assert "Packed · 3 items" in text_of(timeline)


class TestDispatch:
    @pytest.fixture
    def packed(self, scenario: Scenario, world: World) -> Scenario:
        pack_api(world, scenario.id, 2)
        return scenario

    def test_a_bad_tracking_number_is_422_next_to_the_field(
        self, korea: WebClient, packed: Scenario, world: World, db: Database
    ) -> None:
        before = event_count(db)
        typed = {"carrier": "EMS", "tracking_number": BAD_S10, "expected_arrival": "2027-02-01"}
        response = post(korea, f"/shipments/{packed.id}/dispatch", typed)
        assert response.status_code == 422, response.text
        page = full_page(response)
        dispatch = page[page.index('id="dispatch"') :]
        assert "wrong check digit 6" in field_error(dispatch, "tracking_number")
        assert value_of(dispatch, "tracking_number") == BAD_S10
        assert value_of(dispatch, "carrier") == "EMS"
        assert value_of(dispatch, "expected_arrival") == "2027-02-01"
        assert event_count(db) == before
        after = get_shipment(world, packed.id)
        assert after["status"] == "draft" and after["tracking_number"] is None
        # not even the carrier or the arrival date typed in the refused form
        assert after["carrier"] == "Korea Post EMS" and after["expected_arrival"] is None
        assert states(world, packed.pledge["id"]) == {"packed": 2, "pledged": 8}

    def test_dispatch_redirects_with_a_toast(
        self, korea: WebClient, packed: Scenario, world: World
    ) -> None:
        response = post(korea, f"/shipments/{packed.id}/dispatch", {"tracking_number": VALID_S10})
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/shipments/{packed.id}"
        page = korea.follow(response)
        assert toasts(page.text) == ["Shipment dispatched."]
        main = text_of(main_of(page.text))
        assert "0 of 2 received" in main and VALID_S10 in main
        assert 'id="dispatch"' not in page.text and "/pack" not in page.text
        after = get_shipment(world, packed.id)
        assert after["status"] == "dispatched" and after["tracking_number"] == VALID_S10
        assert states(world, packed.pledge["id"]) == {"in_transit": 2, "pledged": 8}

    def test_nothing_packed_is_refused(
        self, korea: WebClient, scenario: Scenario, world: World
    ) -> None:
        page = korea.get(f"/shipments/{scenario.id}").text
        button = page[page.index('id="dispatch-submit"') :]
        assert "disabled" in button[: button.index(">")]
        response = post(korea, f"/shipments/{scenario.id}/dispatch", {})
        assert response.status_code == 422
        assert "pack some first" in response.text
        assert get_shipment(world, scenario.id)["status"] == "draft"


class TestS10Check:
    @pytest.mark.parametrize("typed", [VALID_S10, "ee 123 456 785 kr"])
    def test_a_valid_number(self, korea: WebClient, typed: str) -> None:
        response = korea.get(
            "/shipments/s10-check", params={"tracking_number": typed, "mode": "post"}
        )
        assert response.status_code == 200
        body = response.text.strip()
        assert body.startswith('<p id="s10-check" class="hint"')
        assert text_of(body) == f"Valid UPU S10 number: {VALID_S10}"

    def test_an_invalid_number(self, korea: WebClient) -> None:
        response = korea.get(
            "/shipments/s10-check", params={"tracking_number": BAD_S10, "mode": "post"}
        )
        body = response.text.strip()
        assert body.startswith('<p id="s10-check" class="field-error"')
        assert text_of(body) == "wrong check digit 6 for serial number 12345678: expected 5"

    def test_a_malformed_number(self, korea: WebClient) -> None:
        response = korea.get(
            "/shipments/s10-check", params={"tracking_number": "12AB", "mode": "post"}
        )
        assert 'class="field-error"' in response.text and text_of(response.text)

    def test_nothing_to_check_for_air_freight(self, korea: WebClient) -> None:
        params = {"tracking_number": BAD_S10, "mode": "air"}
        response = korea.get("/shipments/s10-check", params=params)
        assert response.status_code == 200 and text_of(response.text) == ""
        assert 'class="hint"' in response.text

    def test_a_cleared_field_gets_the_hint_back(self, korea: WebClient) -> None:
        response = korea.get(
            "/shipments/s10-check", params={"tracking_number": " ", "mode": "post"}
        )
        assert response.status_code == 200 and 'class="hint"' in response.text
        assert text_of(response.text) == (
            "A UPU S10 number: 2 letters, 9 digits, 2 letters (e.g. EE123456785KR)."
        )

    def test_the_dispatch_form_asks_for_it(self, korea: WebClient, scenario: Scenario) -> None:
        page = korea.get(f"/shipments/{scenario.id}").text
        field = page[page.index('id="f-tracking_number"') :]
        field = field[: field.index(">")]
        assert 'hx-get="/shipments/s10-check"' in field and 'hx-target="#s10-check"' in field
        assert "&#34;mode&#34;: &#34;post&#34;" in field or '"mode": "post"' in field

    def test_a_recipient_gets_403(self, signed_in: SignedIn, world: World) -> None:
        response = signed_in("tonga").get(
            "/shipments/s10-check", params={"tracking_number": VALID_S10}
        )
        assert response.status_code == 403


class TestLabels:
    @pytest.fixture
    def packed(self, scenario: Scenario, world: World) -> list[dict[str, Any]]:
        pack_api(world, scenario.id, 3)
        return shipment_items(world, scenario.id)

    @staticmethod
    def cells(html: str) -> list[str]:
        """The class of every position of the sheets, in order."""
        return re.findall(r'<div class="label ([a-z ]+)"', html)

    def test_one_label_per_item_plus_the_shipment_label(
        self, korea: WebClient, scenario: Scenario, packed: list[dict[str, Any]]
    ) -> None:
        response = korea.get(f"/shipments/{scenario.id}/labels")
        assert response.status_code == 200
        page = main_of(response.text)
        cells = self.cells(page)
        assert cells[:4] == ["shipment", "item", "item", "item"]
        assert cells[4:] == ["empty"] * 17 and page.count('class="sheet"') == 1
        assert page.count("<svg") == 4
        text = text_of(page)
        assert "SHIPMENT · 3 items" in text
        for it in packed:
            assert f"S/N {it['serial']}" in text
            tag = it["tag"]
            assert f"{tag[:4]}-{tag[4:8]}-{tag[8:]}" in text
        assert "To: Tonga Post" in text and "From: Korea Post" in text and "KOICA fund" in text
        assert 'href="/static/css/labels.css' in response.text

    def test_start_leaves_the_first_positions_used(
        self, korea: WebClient, scenario: Scenario, packed: list[dict[str, Any]]
    ) -> None:
        page = main_of(korea.get(f"/shipments/{scenario.id}/labels?start=5").text)
        cells = self.cells(page)
        assert cells[:8] == ["empty used"] * 4 + ["shipment", "item", "item", "item"]
        assert len(cells) == 21
        assert '<option value="5" selected>' in page
        assert f"/api/v1/shipments/{scenario.id}/labels.pdf?start=5" in page

    def test_a_second_sheet_when_the_first_is_full(
        self, korea: WebClient, scenario: Scenario, packed: list[dict[str, Any]]
    ) -> None:
        page = main_of(korea.get(f"/shipments/{scenario.id}/labels?start=20").text)
        assert page.count('class="sheet"') == 2
        cells = self.cells(page)
        assert len(cells) == 42 and cells[19:23] == ["shipment", "item", "item", "item"]

    def test_items_selects(
        self, korea: WebClient, scenario: Scenario, packed: list[dict[str, Any]]
    ) -> None:
        chosen = [packed[2], packed[0]]
        ids = ",".join(str(i["id"]) for i in chosen)
        page = main_of(korea.get(f"/shipments/{scenario.id}/labels?items={ids}&start=2").text)
        cells = self.cells(page)
        assert cells[:3] == ["empty used", "item", "item"] and "shipment" not in cells
        text = text_of(page)
        assert text.index(f"S/N {chosen[0]['serial']}") < text.index(f"S/N {chosen[1]['serial']}")
        assert packed[1]["serial"] not in text
        assert f'name="items" value="{ids}"' in page  # kept when the start changes

    @pytest.mark.parametrize("query", ["start=0", "start=22", "items=abc", "items=99999"])
    def test_bad_parameters_are_refused(
        self, korea: WebClient, scenario: Scenario, packed: list[dict[str, Any]], query: str
    ) -> None:
        response = korea.get(f"/shipments/{scenario.id}/labels?{query}")
        assert response.status_code == 422, response.text
