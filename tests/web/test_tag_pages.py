"""The scan landing page `/t/{tag}` (and `/T/{tag}`): what a tag names, and the actions the
viewer may take now (receive, receive damaged, deploy, close a shipment), driven as a
browser drives them: signed in through the /login form, forms posted with their CSRF token,
plainly (Post/Redirect/Get) or as htmx posts them (only the `#panel` block comes back)."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from typing import Any

import pytest

from donations.db import Database
from tests.events.helpers import event_count
from tests.factories import World
from tests.web.helpers import (
    MODEL,
    PROGRAMME,
    TITLE,
    WebClient,
    assets,
    grouped,
    hidden,
    item,
    item_events,
    links,
    main_of,
    shipment,
    shipped,
    text_of,
)

SignedIn = Callable[[str], WebClient]
SITE = "Nuku'alofa Post Office"


@pytest.fixture
def sent(world: World) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A dispatched shipment of 3 Korea Post items to Tonga Post: (pledge, shipment, items)."""
    return shipped(world, count=3)


@pytest.fixture
def tonga(signed_in: SignedIn) -> WebClient:
    return signed_in("tonga")


def receive_api(world: World, tag: str, **body: Any) -> None:
    world.ok(world.post("tonga", "/api/v1/scans", json={"tag": tag, "action": "receive"} | body))


def panel_form(browser: WebClient, tag: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's first form posting to /t/{tag}/{action}."""
    page = browser.get(f"/t/{tag}")
    assert page.status_code == 200, page.text
    url = f"/t/{tag}/{action}"
    return {
        "client_event_id": hidden(page.text, "client_event_id", url),
        "csrf_token": hidden(page.text, "csrf_token", url),
    }


def same_content(html: str) -> str:
    """The page's main content without what differs at every request (idempotency keys)."""
    return re.sub(r'name="client_event_id" value="[^"]*"', "", main_of(html))


def panel_only(response: Any) -> str:
    """The `#panel` block alone, as htmx swaps it in: no page around it."""
    body: str = response.text.strip()
    assert body.startswith('<div id="panel">') and body.endswith("</div>"), body
    assert body.count('id="panel"') == 1
    for page_part in ("<html", "<head", "<header", "<footer", "<main", 'id="toasts"'):
        assert page_part not in body
    return body


def assert_not_found_page(response: Any) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text


class TestPublicView:
    """Anyone who scans a tag without an account: what it is, who gave it, the programme."""

    def test_anonymous_item_page_shows_the_public_view_only(
        self, anonymous: WebClient, sent: Any
    ) -> None:
        _, s, items = sent
        page = anonymous.get(f"/t/{items[0]['tag']}")
        assert page.status_code == 200, page.text
        text = text_of(main_of(page.text))
        for shown in (TITLE, MODEL, "Korea Post", PROGRAMME, grouped(items[0]["tag"])):
            assert shown in text
        # Not the serial, not the recipient, not the shipment, no actions, no history.
        for hidden_fact in (
            items[0]["serial"],
            "Tonga Post",
            "TOPOST",
            s["tag"],
            grouped(s["tag"]),
        ):
            assert hidden_fact not in page.text
        assert "/receive" not in page.text and "History" not in text

    def test_sign_in_link_returns_to_the_same_tag(
        self, anonymous: WebClient, sent: Any, world: World
    ) -> None:
        tag = sent[2][0]["tag"]
        page = anonymous.get(f"/t/{tag}")
        sign_in = [href for text, href in links(page.text) if "Sign in" in text]
        assert sign_in, "no sign-in link"
        for href in sign_in:
            assert href == f"/login?next=/t/{tag}"
        landed = anonymous.sign_in_at(sign_in[-1], "tonga")
        assert landed.headers["location"] == f"/t/{tag}"
        back = anonymous.follow(landed)
        assert back.status_code == 200
        assert sent[2][0]["serial"] in back.text  # now the full view, with the actions
        assert f'action="/t/{tag}/receive"' in back.text

    def test_anonymous_shipment_page_shows_no_items(self, anonymous: WebClient, sent: Any) -> None:
        _, s, items = sent
        page = anonymous.get(f"/t/{s['tag']}")
        assert page.status_code == 200, page.text
        assert TITLE in page.text and "Korea Post" in page.text
        for it in items:
            assert it["tag"] not in page.text and it["serial"] not in page.text
        assert "Tonga Post" not in page.text and "/close" not in page.text

    @pytest.mark.parametrize(
        "spelling",
        [
            pytest.param(lambda t: f"/T/{t}", id="upper-case-path"),
            pytest.param(lambda t: f"/t/{t.lower()}", id="lower-case"),
            pytest.param(lambda t: f"/t/{grouped(t)}", id="dashed"),
            pytest.param(lambda t: f"/T/{grouped(t).lower()}", id="upper-path-lower-dashed"),
            pytest.param(lambda t: f"/t/{grouped(t).replace('-', '%20')}", id="spaces"),
        ],
    )
    @pytest.mark.parametrize("who", [None, "tonga"])
    def test_every_spelling_of_a_tag_resolves_alike(
        self,
        app: Any,
        sent: Any,
        signed_in: SignedIn,
        spelling: Callable[[str], str],
        who: str | None,
    ) -> None:
        browser = signed_in(who) if who else WebClient(app)
        for tag in (sent[2][0]["tag"], sent[1]["tag"]):
            canonical = browser.get(f"/t/{tag}")
            other = browser.get(spelling(tag))
            assert other.status_code == canonical.status_code == 200, other.text
            assert same_content(other.text) == same_content(canonical.text)

    @pytest.mark.parametrize(
        "tag",
        [
            "ABC",  # too short
            "7KQ29XHM3PDAX",  # too long
            "UUUUUUUUUUUU",  # U is not in the alphabet
            "7KQ2-9XHM-3PD!",
            "0000-0000-0000",  # well-formed, but no item or shipment has it
        ],
    )
    def test_malformed_and_unknown_tags_are_404_pages(
        self, anonymous: WebClient, sent: Any, tag: str
    ) -> None:
        for path in (f"/t/{tag}", f"/T/{tag}"):
            assert_not_found_page(anonymous.get(path))


class TestOtherOrganisations:
    """A signed-in user who may not see the tag gets the same 404 as for an unknown tag."""

    @pytest.mark.parametrize("who", ["fiji", "japan"])
    @pytest.mark.parametrize("kind", ["item", "shipment"])
    def test_404_page_reveals_nothing(
        self, signed_in: SignedIn, sent: Any, who: str, kind: str
    ) -> None:
        _, s, items = sent
        browser = signed_in(who)
        tag = items[0]["tag"] if kind == "item" else s["tag"]
        page = browser.get(f"/t/{tag}")
        assert_not_found_page(page)
        for secret in (TITLE, MODEL, PROGRAMME, items[0]["serial"], "Tonga Post", "Korea Post"):
            assert secret not in page.text
        unknown = browser.get("/t/000000000000")
        assert_not_found_page(unknown)
        assert main_of(page.text) == main_of(unknown.text)

    def test_malformed_tag_is_a_404_page_when_signed_in(self, tonga: WebClient, sent: Any) -> None:
        assert_not_found_page(tonga.get("/t/ABC"))

    def test_another_post_cannot_receive(
        self, signed_in: SignedIn, sent: Any, world: World, db: Database
    ) -> None:
        tag = sent[2][0]["tag"]
        fiji = signed_in("fiji")
        before = event_count(db)
        response = fiji.post(f"/t/{tag}/receive", {"condition": "good"})
        assert_not_found_page(response)
        assert event_count(db) == before
        assert item(world, tag)["state"] == "in_transit"


class TestReceive:
    def test_item_in_transit_offers_receive_and_receive_damaged(
        self, tonga: WebClient, sent: Any
    ) -> None:
        tag = sent[2][0]["tag"]
        page = tonga.get(f"/t/{tag}")
        assert page.status_code == 200
        text = text_of(page.text)
        assert sent[2][0]["serial"] in text and "Tonga Post" in text and "in transit" in text
        assert page.text.count(f'action="/t/{tag}/receive"') == 2
        assert 'name="condition" value="good"' in page.text
        assert 'name="condition" value="damaged"' in page.text
        assert ">Receive<" in page.text and "Receive damaged" in text
        assert f'action="/t/{tag}/deploy"' not in page.text

    def test_plain_post_redirects_to_the_same_tag_page(
        self, tonga: WebClient, sent: Any, world: World
    ) -> None:
        it = sent[2][0]
        form = panel_form(tonga, it["tag"], "receive") | {"condition": "good"}
        response = tonga.post(f"/t/{it['tag']}/receive", form)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/t/{it['tag']}"
        page = tonga.follow(response)
        assert page.status_code == 200
        assert "Received in good condition." in page.text  # the toast
        assert '<span class="badge received">' in page.text
        assert f'action="/t/{it["tag"]}/deploy"' in page.text  # next step: deploy
        after = item(world, it["tag"])
        assert after["state"] == "received" and after["condition"] == "good"
        events = item_events(world, it["id"], "item.received")
        assert len(events) == 1
        assert events[0]["actor"] == "tonga" and events[0]["source"] == "web"

    def test_htmx_post_answers_only_the_panel(
        self, tonga: WebClient, sent: Any, world: World
    ) -> None:
        it = sent[2][0]
        form = panel_form(tonga, it["tag"], "receive") | {"condition": "good"}
        response = tonga.post(f"/t/{it['tag']}/receive", form, target="panel")
        assert response.status_code == 200, response.text
        body = panel_only(response)
        assert "Received in good condition." in body
        # The panel is the whole item view: the badge, the next step and the history change.
        assert '<span class="badge received">' in body and "in transit" not in body
        assert f'action="/t/{it["tag"]}/deploy"' in body
        assert "History" in body and "tonga (TOPOST)" in body
        assert item(world, it["tag"])["state"] == "received"

    @pytest.mark.parametrize("target", [None, "panel"])
    def test_receive_damaged_records_the_condition_and_the_note(
        self, tonga: WebClient, sent: Any, world: World, target: str | None
    ) -> None:
        it = sent[2][0]
        page = tonga.get(f"/t/{it['tag']}")
        damaged = page.text.index('value="damaged"')
        key = hidden(page.text[page.text.rindex("<form", 0, damaged) :], "client_event_id")
        note = "Screen cracked; keyboard missing"
        response = tonga.post(
            f"/t/{it['tag']}/receive",
            {"condition": "damaged", "note": note, "client_event_id": key},
            target=target,
        )
        assert response.status_code == (200 if target else 303), response.text
        shown = panel_only(response) if target else tonga.follow(response).text
        assert "Received, marked as damaged." in shown
        # Said as a warning, not as a success: the panel's alert, or the toast.
        assert ('class="alert alert-warn"' if target else 'class="toast toast-warn"') in shown
        after = item(world, it["tag"])
        assert after["state"] == "received" and after["condition"] == "damaged"
        events = item_events(world, it["id"], "item.received")
        assert len(events) == 1
        assert events[0]["data"]["condition"] == "damaged"
        assert events[0]["data"]["note"] == note

    @pytest.mark.parametrize("target", [None, "panel"])
    def test_the_same_form_posted_twice_writes_one_event(
        self, tonga: WebClient, sent: Any, world: World, db: Database, target: str | None
    ) -> None:
        it = sent[2][0]
        form = panel_form(tonga, it["tag"], "receive") | {"condition": "good"}
        first = tonga.post(f"/t/{it['tag']}/receive", form, target=target)
        assert first.status_code == (200 if target else 303), first.text
        before = event_count(db)
        second = tonga.post(f"/t/{it['tag']}/receive", form, target=target)
        assert second.status_code == (200 if target else 303), second.text
        shown = panel_only(second) if target else tonga.follow(second).text
        assert "Already recorded; nothing changed." in shown
        assert event_count(db) == before
        assert len(item_events(world, it["id"], "item.received")) == 1

    @pytest.mark.parametrize("target", [None, "panel"])
    def test_a_refused_step_changes_nothing_and_says_why(
        self, tonga: WebClient, sent: Any, world: World, db: Database, target: str | None
    ) -> None:
        """Receiving as damaged an item another phone already received in good condition."""
        it = sent[2][0]
        form = panel_form(tonga, it["tag"], "receive")
        receive_api(world, it["tag"])
        before = event_count(db)
        response = tonga.post(
            f"/t/{it['tag']}/receive", form | {"condition": "damaged"}, target=target
        )
        assert response.status_code == 409, response.text
        if target:  # a toast, and the page stays as it is
            assert response.headers["HX-Reswap"] == "none"
            assert 'hx-swap-oob="beforeend"' in response.text and "<html" not in response.text
        else:
            assert "Not possible now" in response.text and "<html" in response.text
        assert "received" in response.text
        assert event_count(db) == before
        assert item(world, it["tag"])["condition"] == "good"

    def test_a_lost_item_found_later_can_be_received(
        self, tonga: WebClient, sent: Any, world: World
    ) -> None:
        _, s, items = sent
        world.ok(world.post("tonga", f"/api/v1/shipments/{s['id']}/close"))
        page = tonga.get(f"/t/{items[0]['tag']}")
        assert '<span class="badge missing">' in page.text
        form = panel_form(tonga, items[0]["tag"], "receive") | {"condition": "good"}
        response = tonga.post(f"/t/{items[0]['tag']}/receive", form)
        assert response.status_code == 303, response.text
        assert item(world, items[0]["tag"])["state"] == "received"

    def test_post_without_csrf_token_is_refused(
        self, tonga: WebClient, sent: Any, world: World, db: Database
    ) -> None:
        tag = sent[2][0]["tag"]
        before = event_count(db)
        for target in (None, "panel"):
            response = tonga.post(f"/t/{tag}/receive", {"condition": "good"}, csrf=False)
            assert response.status_code == 403, response.text
            wrong = tonga.post(
                f"/t/{tag}/receive", {"condition": "good", "csrf_token": "forged"}, target=target
            )
            assert wrong.status_code == 403, wrong.text
        assert "The form has expired" in response.text
        assert event_count(db) == before
        assert item(world, tag)["state"] == "in_transit"

    def test_a_donor_cannot_receive(
        self, signed_in: SignedIn, sent: Any, world: World, db: Database
    ) -> None:
        tag = sent[2][0]["tag"]
        korea = signed_in("korea")
        page = korea.get(f"/t/{tag}")
        assert page.status_code == 200 and f'action="/t/{tag}/receive"' not in page.text
        before = event_count(db)
        response = korea.post(f"/t/{tag}/receive", {"condition": "good"})
        assert response.status_code == 403, response.text
        assert "Not allowed" in response.text
        assert event_count(db) == before
        assert item(world, tag)["state"] == "in_transit"


class TestDeploy:
    @pytest.fixture
    def received(self, world: World, sent: Any) -> dict[str, Any]:
        it: dict[str, Any] = sent[2][0]
        receive_api(world, it["tag"])
        return it

    def test_received_item_offers_deploy(self, tonga: WebClient, received: Any) -> None:
        page = tonga.get(f"/t/{received['tag']}")
        assert f'action="/t/{received["tag"]}/deploy"' in page.text
        for field in ('name="site"', 'name="lat"', 'name="lon"', "data-geolocate"):
            assert field in page.text
        assert f'action="/t/{received["tag"]}/receive"' not in page.text

    @pytest.mark.parametrize("target", [None, "panel"])
    def test_deploy_with_coordinates(
        self, tonga: WebClient, received: Any, world: World, target: str | None
    ) -> None:
        tag = received["tag"]
        form = panel_form(tonga, tag, "deploy") | {
            "site": SITE,
            "lat": "-21.1393",
            "lon": "-175.2049",
            "note": "Counter 2",
        }
        response = tonga.post(f"/t/{tag}/deploy", form, target=target)
        assert response.status_code == (200 if target else 303), response.text
        shown = panel_only(response) if target else tonga.follow(response).text
        assert f"Deployed at {SITE}." in shown.replace("&#39;", "'")
        after = item(world, tag)
        assert after["state"] == "deployed" and after["site"] == SITE
        assert after["lat"] == pytest.approx(-21.1393) and after["lon"] == pytest.approx(-175.2049)
        events = item_events(world, received["id"], "item.deployed")
        assert len(events) == 1 and events[0]["data"]["note"] == "Counter 2"
        page = tonga.get(f"/t/{tag}")
        assert "In service at" in page.text and '<span class="badge deployed">' in page.text

    @pytest.mark.parametrize("target", [None, "panel"])
    def test_deploy_without_site_is_422_with_the_message_next_to_the_field(
        self, tonga: WebClient, received: Any, world: World, db: Database, target: str | None
    ) -> None:
        tag = received["tag"]
        before = event_count(db)
        form = panel_form(tonga, tag, "deploy") | {"site": "  ", "lat": "-21.1", "lon": "-175.2"}
        response = tonga.post(f"/t/{tag}/deploy", form, target=target)
        assert response.status_code == 422, response.text
        body = response.text
        if target:
            panel_only(response)
        else:
            assert "<html" in body and "History" in body  # the whole page again
        field = body[body.index('id="site"') :]
        field = field[: field.index(">")]
        assert 'aria-invalid="true"' in field and 'aria-describedby="site-error"' in field
        error = body[body.index('id="site-error"') :]
        assert "required to deploy" in error[: error.index("</p>")]
        # The error comes right after the field, before the next one.
        assert body.index('id="site"') < body.index('id="site-error"') < body.index('id="lat"')
        assert 'value="-21.1"' in body and 'value="-175.2"' in body  # what was typed stays
        assert event_count(db) == before
        assert item(world, tag)["state"] == "received"

    def test_deploy_with_one_coordinate_only_is_422(
        self, tonga: WebClient, received: Any, world: World, db: Database
    ) -> None:
        tag = received["tag"]
        before = event_count(db)
        form = panel_form(tonga, tag, "deploy") | {"site": SITE, "lat": "-21.1", "lon": ""}
        response = tonga.post(f"/t/{tag}/deploy", form)
        assert response.status_code == 422, response.text
        assert "give both coordinates or neither" in response.text
        assert event_count(db) == before and item(world, tag)["state"] == "received"


class TestShipmentPage:
    def test_recipient_sees_the_count_and_the_items_not_received(
        self, tonga: WebClient, sent: Any, world: World
    ) -> None:
        _, s, items = sent
        receive_api(world, items[0]["tag"])
        page = tonga.get(f"/t/{s['tag']}")
        assert page.status_code == 200, page.text
        text = text_of(page.text)
        assert "1 of 3 received" in text
        assert "Not received yet (2)" in text
        waiting = page.text[page.text.index("Not received yet") : page.text.index("Received (")]
        assert items[0]["tag"] not in waiting
        for it in items[1:]:
            assert f'href="/t/{it["tag"]}"' in waiting and it["serial"] in waiting
        assert f'action="/t/{s["tag"]}/close"' in page.text
        assert "data-confirm=" in page.text

    def test_close_form_only_for_the_addressed_recipient_while_dispatched(
        self, app: Any, signed_in: SignedIn, sent: Any, world: World
    ) -> None:
        _, s, items = sent
        close = f'action="/t/{s["tag"]}/close"'
        korea = signed_in("korea").get(f"/t/{s['tag']}")
        assert korea.status_code == 200 and "0 of 3 received" in korea.text
        assert close not in korea.text
        assert close not in WebClient(app).get(f"/t/{s['tag']}").text
        tonga = signed_in("tonga")
        assert close in tonga.get(f"/t/{s['tag']}").text
        world.ok(world.post("tonga", f"/api/v1/shipments/{s['id']}/close"))
        closed = tonga.get(f"/t/{s['tag']}")
        assert '<span class="badge closed">' in closed.text and close not in closed.text

    def test_no_close_form_when_everything_arrived(
        self, tonga: WebClient, sent: Any, world: World
    ) -> None:
        _, s, items = sent
        for it in items:
            receive_api(world, it["tag"])
        page = tonga.get(f"/t/{s['tag']}")
        assert "3 of 3 received" in text_of(page.text)
        assert "Everything has arrived." in page.text
        assert "/close" not in page.text

    def test_draft_shipment_is_not_shown_to_the_recipient_yet(
        self, app: Any, world: World, signed_in: SignedIn
    ) -> None:
        _, s, items = shipped(world, count=2, dispatch=False)
        korea = signed_in("korea").get(f"/t/{s['tag']}")
        assert korea.status_code == 200 and "/close" not in korea.text
        assert "Not dispatched yet." in signed_in("korea").get(f"/t/{items[0]['tag']}").text

    @pytest.mark.parametrize("target", [None, "panel"])
    def test_close_marks_missing_and_redirects(
        self, tonga: WebClient, sent: Any, world: World, target: str | None
    ) -> None:
        _, s, items = sent
        receive_api(world, items[0]["tag"])
        page = tonga.get(f"/t/{s['tag']}")
        token = hidden(page.text, "csrf_token", f"/t/{s['tag']}/close")
        response = tonga.post(f"/t/{s['tag']}/close", {"csrf_token": token}, target=target)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/t/{s['tag']}"
        after = tonga.follow(response)
        assert "Shipment closed; 2 items marked missing." in after.text
        assert "1 of 3 received" in text_of(after.text)
        assert "Missing (2)" in text_of(after.text)
        assert shipment(world, s["id"])["status"] == "closed"
        states = {it["tag"]: item(world, it["tag"])["state"] for it in items}
        assert states == {
            items[0]["tag"]: "received",
            items[1]["tag"]: "missing",
            items[2]["tag"]: "missing",
        }
        assert len(item_events(world, items[1]["id"], "item.missing")) == 1

    def test_history_lists_the_shipments_own_events(
        self, tonga: WebClient, sent: Any, world: World
    ) -> None:
        """Not one line per item packed, dispatched or marked missing."""
        _, s, items = sent
        receive_api(world, items[0]["tag"])
        world.ok(world.post("tonga", f"/api/v1/shipments/{s['id']}/close"))
        page = tonga.get(f"/t/{s['tag']}")
        timeline = page.text[page.text.index('<ol class="timeline">') :]
        timeline = timeline[: timeline.index("</ol>")]
        own = world.ok(
            world.get(
                "tonga", "/api/v1/events", params={"shipment_id": s["id"], "kind": "shipment."}
            )
        )["data"]
        assert {e["kind"] for e in own} >= {"shipment.dispatched", "shipment.closed"}
        assert timeline.count("<li>") == len(own)
        assert "Shipment closed" in timeline and "Marked missing" not in timeline
        assert "<strong>Dispatched</strong>" not in timeline

    def test_a_donor_cannot_close(
        self, signed_in: SignedIn, sent: Any, world: World, db: Database
    ) -> None:
        s = sent[1]
        before = event_count(db)
        response = signed_in("korea").post(f"/t/{s['tag']}/close")
        assert response.status_code == 403, response.text
        assert event_count(db) == before and shipment(world, s["id"])["status"] == "dispatched"


class TestPageWeight:
    """The recipient pages are used on phones over slow satellite links: the item landing
    page with everything it loads stays under 25 KB on the wire.

    The app compresses with GZipMiddleware (checked below through Content-Encoding), but
    TestClient (httpx) decompresses bodies transparently, so `response.content` is the
    uncompressed body. The wire size is therefore measured by compressing each body again
    with gzip at level 6, GZipMiddleware's default level.
    """

    LIMIT = 25 * 1024

    @pytest.mark.parametrize("who", [None, "tonga"])
    def test_item_page_with_its_css_and_js_is_under_25_kb_gzipped(
        self, app: Any, signed_in: SignedIn, sent: Any, world: World, who: str | None
    ) -> None:
        browser = signed_in(who) if who else WebClient(app)
        gzip_headers = {"Accept-Encoding": "gzip"}
        page = browser.get(f"/t/{sent[2][0]['tag']}", headers=gzip_headers)
        assert page.status_code == 200
        assert page.headers.get("content-encoding") == "gzip"
        urls = assets(page.text)
        assert any(u.startswith("/static/css/") for u in urls), urls
        assert any(u.endswith(".js") or ".js?" in u for u in urls), urls
        sizes = {"page": len(gzip.compress(page.content, compresslevel=6))}
        for url in urls:
            response = browser.get(url, headers=gzip_headers)
            assert response.status_code == 200, url
            if len(response.content) > 600:  # GZipMiddleware's minimum_size
                assert response.headers.get("content-encoding") == "gzip", url
            sizes[url] = len(gzip.compress(response.content, compresslevel=6))
        total = sum(sizes.values())
        assert total < self.LIMIT, f"{total} bytes gzipped: {sizes}"
