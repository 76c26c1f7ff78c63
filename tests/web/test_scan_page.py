"""Continuous scanning, `/scan`: a recipient receives a carton tag after tag, from the camera
(which posts the same form as htmx does) or by typing. Each scan answers one outcome: ok,
repeat, unexpected, unknown or shipment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from donations.db import Database
from tests.events.helpers import event_count
from tests.factories import World
from tests.web.helpers import WebClient, grouped, hidden, item, item_events, shipped, text_of

SignedIn = Callable[[str], WebClient]
Sent = tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]


@pytest.fixture
def carton(world: World) -> Sent:
    """The shipment being unpacked: 3 items to Tonga Post."""
    return shipped(world, count=3)


@pytest.fixture
def other_carton(world: World, carton: Sent) -> Sent:
    """Another dispatched shipment to Tonga Post (of another pledge): 2 items."""
    return shipped(world, count=2)


@pytest.fixture
def fiji_carton(world: World, carton: Sent) -> Sent:
    return shipped(world, count=2, recipient="FJPOST")


@pytest.fixture
def tonga(signed_in: SignedIn) -> WebClient:
    return signed_in("tonga")


def scan(
    browser: WebClient,
    tag: str,
    *,
    shipment_id: int | None = None,
    htmx: bool = False,
    key: str | None = None,
) -> Any:
    """Submit the scan form as the page has it (its hidden fields), with `tag` typed in."""
    url = "/scan" + (f"?shipment={shipment_id}" if shipment_id else "")
    page = browser.get(url)
    assert page.status_code == 200, page.text
    form = {
        "csrf_token": hidden(page.text, "csrf_token", "/scan"),
        "shipment": hidden(page.text, "shipment", "/scan"),
        "client_event_id": key or hidden(page.text, "client_event_id", "/scan"),
        "tag": tag,
    }
    return browser.post("/scan", form, target="scan-result" if htmx else None)


def redirect_query(response: Any) -> dict[str, str]:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/scan" and not location.fragment, response.headers["location"]
    query = parse_qs(location.query, keep_blank_values=True)
    assert all(len(values) == 1 for values in query.values()), query
    return {name: values[0] for name, values in query.items()}


def result_block(response: Any) -> str:
    assert response.status_code == 200, response.text
    body: str = response.text.strip()
    assert body.startswith('<section id="scan-result"') and body.endswith("</section>"), body
    assert body.count("<section") == 1 and "<html" not in body and "scan-form" not in body
    return body


class TestAccess:
    def test_anonymous_is_sent_to_sign_in_and_back(self, anonymous: WebClient) -> None:
        response = anonymous.get("/scan")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/scan"
        landed = anonymous.sign_in_at(response.headers["location"], "tonga")
        assert landed.headers["location"] == "/scan"
        assert anonymous.follow(landed).status_code == 200

    @pytest.mark.parametrize("who", ["tonga", "coord"])
    def test_recipients_and_coordinators_may_scan(
        self, signed_in: SignedIn, carton: Sent, who: str
    ) -> None:
        page = signed_in(who).get("/scan")
        assert page.status_code == 200, page.text
        assert 'id="scan-form"' in page.text and 'name="tag"' in page.text
        assert grouped(carton[1]["tag"]) in page.text  # the incoming shipment to choose

    def test_a_donor_may_not(self, signed_in: SignedIn, carton: Sent, db: Database) -> None:
        korea = signed_in("korea")
        assert korea.get("/scan").status_code == 403
        before = event_count(db)
        response = korea.post("/scan", {"tag": carton[2][0]["tag"]})
        assert response.status_code == 403
        assert event_count(db) == before

    def test_post_without_csrf_token_is_refused(
        self, tonga: WebClient, carton: Sent, world: World, db: Database
    ) -> None:
        before = event_count(db)
        response = tonga.post("/scan", {"tag": carton[2][0]["tag"]}, csrf=False)
        assert response.status_code == 403
        assert event_count(db) == before
        assert item(world, carton[2][0]["tag"])["state"] == "in_transit"


class TestTypedTags:
    @pytest.mark.parametrize(
        "typed",
        [
            pytest.param(lambda t: t, id="canonical"),
            pytest.param(lambda t: f"  {grouped(t).lower()} ", id="lower-dashed"),
            pytest.param(lambda t: grouped(t).replace("-", " "), id="spaces"),
            pytest.param(lambda t: f"http://testserver/T/{t}", id="url-upper"),
            pytest.param(lambda t: f"http://testserver/t/{t.lower()}", id="url-lower"),
        ],
    )
    def test_a_typed_tag_receives_the_item(
        self, tonga: WebClient, carton: Sent, world: World, typed: Callable[[str], str]
    ) -> None:
        _, s, items = carton
        query = redirect_query(scan(tonga, typed(items[0]["tag"])))
        assert query == {"last": items[0]["tag"], "result": "ok", "shipment": str(s["id"])}
        after = item(world, items[0]["tag"])
        assert after["state"] == "received" and after["condition"] == "good"
        events = item_events(world, items[0]["id"], "item.received")
        assert len(events) == 1 and events[0]["actor"] == "tonga"

    def test_plain_post_redirects_to_the_page_with_the_outcome(
        self, tonga: WebClient, carton: Sent
    ) -> None:
        _, s, items = carton
        response = scan(tonga, items[0]["tag"], shipment_id=s["id"])
        assert response.headers["location"] == (
            f"/scan?last={items[0]['tag']}&result=ok&shipment={s['id']}"
        )
        page = tonga.follow(response)
        assert page.status_code == 200
        assert 'data-kind="ok"' in page.text and 'class="scan-flash ok"' in page.text
        text = text_of(page.text)
        assert f"Received · {grouped(items[0]['tag'])}" in text
        assert "1 of 3 received" in text
        assert f'name="shipment" value="{s["id"]}"' in page.text  # the next scan keeps it

    def test_htmx_post_answers_only_the_result_with_the_running_count(
        self, tonga: WebClient, carton: Sent, world: World
    ) -> None:
        _, s, items = carton
        for n, it in enumerate(items, start=1):
            body = result_block(scan(tonga, it["tag"], shipment_id=s["id"], htmx=True))
            assert 'data-kind="ok"' in body
            assert f"{n} of 3 received" in text_of(body)
            assert f'data-shipment="{s["id"]}"' in body
            assert 'data-client-event-id="' in body
        assert world.ok(world.get("coord", f"/api/v1/shipments/{s['id']}"))["status"] == (
            "received"
        )


class TestOutcomes:
    def test_ok_selects_the_items_shipment_when_none_is_chosen(
        self, tonga: WebClient, carton: Sent, other_carton: Sent
    ) -> None:
        _, s, items = other_carton
        body = result_block(scan(tonga, items[1]["tag"], htmx=True))
        assert 'data-kind="ok"' in body and f'data-shipment="{s["id"]}"' in body
        assert "1 of 2 received" in text_of(body)

    @pytest.mark.parametrize("htmx", [False, True])
    def test_repeat(
        self, tonga: WebClient, carton: Sent, world: World, db: Database, htmx: bool
    ) -> None:
        _, s, items = carton
        redirect_query(scan(tonga, items[0]["tag"], shipment_id=s["id"]))
        before = event_count(db)
        response = scan(tonga, grouped(items[0]["tag"]), shipment_id=s["id"], htmx=htmx)
        if htmx:
            body = result_block(response)
            assert 'data-kind="repeat"' in body and "Already received" in body
            assert "1 of 3 received" in text_of(body)
        else:
            assert redirect_query(response)["result"] == "repeat"
        assert event_count(db) == before
        assert len(item_events(world, items[0]["id"], "item.received")) == 1

    def test_same_client_event_id_twice_writes_one_event(
        self, tonga: WebClient, carton: Sent, world: World, db: Database
    ) -> None:
        _, s, items = carton
        result_block(scan(tonga, items[0]["tag"], shipment_id=s["id"], htmx=True, key="k-1"))
        before = event_count(db)
        body = result_block(scan(tonga, items[0]["tag"], shipment_id=s["id"], htmx=True, key="k-1"))
        assert 'data-kind="repeat"' in body
        assert event_count(db) == before

    @pytest.mark.parametrize("htmx", [False, True])
    def test_unexpected_item_of_another_shipment_is_received_and_flagged(
        self, tonga: WebClient, carton: Sent, other_carton: Sent, world: World, htmx: bool
    ) -> None:
        _, current, _ = carton
        _, _, strays = other_carton
        response = scan(tonga, strays[0]["tag"], shipment_id=current["id"], htmx=htmx)
        if htmx:
            body = result_block(response)
            assert 'data-kind="unexpected"' in body
            assert "Received, but it belongs to another shipment" in body
            # The count is still the current shipment's; it stays the current one.
            assert "0 of 3 received" in text_of(body)
            assert f'data-shipment="{current["id"]}"' in body
        else:
            query = redirect_query(response)
            assert query == {
                "last": strays[0]["tag"],
                "result": "unexpected",
                "shipment": str(current["id"]),
            }
            page = tonga.follow(response)
            assert 'class="scan-flash unexpected"' in page.text
        assert item(world, strays[0]["tag"])["state"] == "received"

    @pytest.mark.parametrize(
        "typed",
        [
            pytest.param(lambda f: "0000-0000-0000", id="no-such-tag"),
            pytest.param(lambda f: "HELLO", id="not-a-tag"),
            pytest.param(lambda f: "http://testserver/T/0000000000", id="short-url"),
            pytest.param(lambda f: f["tag"], id="another-posts-item"),
            pytest.param(lambda f: f"http://testserver/T/{f['tag']}", id="another-posts-url"),
        ],
    )
    @pytest.mark.parametrize("htmx", [False, True])
    def test_unknown(
        self,
        tonga: WebClient,
        carton: Sent,
        fiji_carton: Sent,
        world: World,
        db: Database,
        typed: Callable[[dict[str, Any]], str],
        htmx: bool,
    ) -> None:
        _, s, _ = carton
        fiji_item = fiji_carton[2][0]
        text = typed(fiji_item)
        before = event_count(db)
        response = scan(tonga, text, shipment_id=s["id"], htmx=htmx)
        if htmx:
            body = result_block(response)
            assert 'data-kind="unknown"' in body
            assert "Unknown tag" in body
            assert "0 of 3 received" in text_of(body)
        else:
            query = redirect_query(response)
            assert query["result"] == "unknown" and query["shipment"] == str(s["id"])
            page = tonga.follow(response)
            assert 'class="scan-flash unknown"' in page.text
        assert event_count(db) == before
        assert item(world, fiji_item["tag"])["state"] == "in_transit"
        # Nothing about Fiji's item is shown: not its grouped tag, nor a link to it.
        shown = response.text if htmx else tonga.follow(response).text
        assert f'href="/t/{fiji_item["tag"]}"' not in shown and "Post Fiji" not in shown

    @pytest.mark.parametrize("typed", ["7KQ2 #1", "a&result=ok", "x?y=z"])
    def test_unknown_input_with_url_characters_still_redirects_to_the_outcome(
        self, tonga: WebClient, carton: Sent, typed: str
    ) -> None:
        query = redirect_query(scan(tonga, typed, shipment_id=carton[1]["id"]))
        assert query["result"] == "unknown" and query["last"] == typed
        page = tonga.get("/scan", params=query)
        assert 'class="scan-flash unknown"' in page.text

    @pytest.mark.parametrize("htmx", [False, True])
    def test_scanning_a_shipment_tag_selects_it(
        self, tonga: WebClient, carton: Sent, other_carton: Sent, world: World, htmx: bool
    ) -> None:
        _, s, items = other_carton
        world.ok(
            world.post("tonga", "/api/v1/scans", json={"tag": items[0]["tag"], "action": "receive"})
        )
        _, current, _ = carton
        response = scan(
            tonga, f"http://testserver/T/{s['tag']}", shipment_id=current["id"], htmx=htmx
        )
        if htmx:
            body = result_block(response)
            assert 'data-kind="shipment"' in body and f'data-shipment="{s["id"]}"' in body
            assert "Shipment selected" in body and "1 of 2 received" in text_of(body)
        else:
            query = redirect_query(response)
            assert query == {"last": s["tag"], "result": "shipment", "shipment": str(s["id"])}
            page = tonga.follow(response)
            assert f'name="shipment" value="{s["id"]}"' in page.text
            assert "1 of 2 received" in text_of(page.text)


class TestPageAddresses:
    """The page's own links and forms lead to addresses it must answer with a page."""

    @pytest.mark.parametrize(
        "query",
        [
            "shipment=",  # the chooser's "Any shipment"
            "shipment=abc",
            "shipment=99999999999999999999",
            "last=nonsense&result=ok",  # hand-edited: not a tag, but not "unknown"
            "last=&result=ok",
            "result=bogus&last=ABC",
        ],
    )
    def test_odd_queries_show_the_page(self, tonga: WebClient, carton: Sent, query: str) -> None:
        page = tonga.get(f"/scan?{query}")
        assert page.status_code == 200, page.text
        assert 'id="scan-form"' in page.text and 'class="scan-flash' not in page.text

    def test_any_shipment_clears_the_choice(self, tonga: WebClient, carton: Sent) -> None:
        page = tonga.get("/scan", params={"shipment": ""})
        assert page.status_code == 200
        assert 'name="shipment" value=""' in page.text and " of 3 received<" not in page.text

    def test_a_boosted_link_is_answered_with_a_full_page_load(
        self, tonga: WebClient, carton: Sent
    ) -> None:
        """htmx runs no script from swapped content (base.html: allowScriptTags false), and
        the scanner's script is in <head>: a boosted link to /scan must load the page."""
        boosted = {"HX-Request": "true", "HX-Boosted": "true"}
        response = tonga.get(f"/scan?shipment={carton[1]['id']}", headers=boosted)
        assert response.status_code == 204 and response.content == b""
        assert response.headers["HX-Redirect"] == f"/scan?shipment={carton[1]['id']}"
        plain = tonga.get("/scan")
        assert plain.status_code == 200 and "/static/js/scan.js" in plain.text
        head = plain.text[: plain.text.index("</head>")]
        assert "/static/js/scan.js" in head

    def test_a_typed_tag_is_echoed_escaped(self, tonga: WebClient, carton: Sent) -> None:
        query = redirect_query(scan(tonga, "<b>bold</b>"))
        page = tonga.get("/scan", params=query)
        assert "&lt;b&gt;bold&lt;/b&gt;" in page.text and "<b>bold" not in page.text

    def test_a_tag_in_the_outcome_is_shown_grouped(self, tonga: WebClient, carton: Sent) -> None:
        tag = carton[2][0]["tag"]
        page = tonga.get("/scan", params={"last": grouped(tag).lower(), "result": "repeat"})
        assert f'<a class="tag" href="/t/{tag}">{grouped(tag)}</a>' in page.text
