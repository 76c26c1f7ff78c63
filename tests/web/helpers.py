"""Helpers for the server-rendered pages: a browser-like client with its own cookies that
signs in through the real /login form, and the scenarios the tag and scan pages need."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from donations.web import CSRF_COOKIE, CSRF_FIELD
from tests import factories
from tests.factories import World

PROGRAMME = "Korea-Pacific Green ICT Programme"
TITLE = "Green computers for the Pacific"
MODEL = "Samsung DM500"

_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient:
    """One browser: its own cookie jar (session, CSRF, flash), redirects not followed."""

    def __init__(self, app: FastAPI) -> None:
        # A server error is a 500 answer, as a browser would get, not an exception here.
        self.http = TestClient(
            app,
            base_url="http://testserver",
            follow_redirects=False,
            raise_server_exceptions=False,
        )

    # --- reading ---------------------------------------------------------------------------

    def get(self, url: str, **kw: Any) -> Response:
        return self.http.get(url, **kw)

    def csrf(self) -> str:
        """The CSRF token, as a page's forms carry it (fetching a page to get one if needed)."""
        token = self.http.cookies.get(CSRF_COOKIE)
        if token is None:
            page = self.get("/login")
            token = form_token(page.text)
            assert self.http.cookies.get(CSRF_COOKIE) == token
        return token

    # --- signing in ------------------------------------------------------------------------

    def sign_in(self, username: str, next_url: str = "/") -> Response:
        """Through the real form: GET /login?next=..., then POST it with the page's token."""
        response = self.sign_in_at(f"/login?next={quote(next_url, safe='/')}", username)
        assert response.headers["location"] == next_url
        return response

    def sign_in_at(self, login_url: str, username: str) -> Response:
        """Open a sign-in link (`/login?next=...`) and submit its form as a person would:
        the hidden fields as they are, the username and password typed in. Answers the 303."""
        page = self.get(login_url)
        assert page.status_code == 200, page.text
        token = form_token(page.text)
        assert self.http.cookies.get(CSRF_COOKIE) == token, "the form and the cookie disagree"
        response = self.http.post(
            "/login",
            data={
                "username": username,
                "password": factories.PASSWORD,
                "next": hidden(page.text, "next"),
                CSRF_FIELD: token,
            },
        )
        assert response.status_code == 303, response.text
        return response

    # --- writing ---------------------------------------------------------------------------

    def post(
        self,
        url: str,
        data: dict[str, str] | None = None,
        *,
        target: str | None = None,
        csrf: bool = True,
    ) -> Response:
        """A form post, as the browser sends it; with `target`, as htmx sends it."""
        body = dict(data or {})
        if csrf:
            body.setdefault(CSRF_FIELD, self.csrf())
        headers = {"HX-Request": "true", "HX-Target": target} if target else {}
        return self.http.post(url, data=body, headers=headers)

    def follow(self, response: Response) -> Response:
        assert response.status_code in (302, 303), response.text
        return self.get(response.headers["location"])


def form_token(html: str) -> str:
    found = _CSRF_INPUT.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def hidden(html: str, name: str, action: str | None = None) -> str:
    """The value of a hidden field (in the first form posting to `action`, when given)."""
    if action is not None:
        start = html.index(f'method="post" action="{action}"')
        html = html[start : html.index("</form>", start)]
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no field {name}"
    return unescape(found.group(1))


def text_of(html: str) -> str:
    """The visible text, roughly: tags dropped, whitespace collapsed."""
    without = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", without)).split())


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "link" and "stylesheet" in found.get("rel", "").split():
            self.urls.append(found["href"])
        elif tag == "script" and found.get("src"):
            self.urls.append(found["src"])
        elif tag == "a" and "href" in found:
            self._href, self._text = found["href"], []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((" ".join("".join(self._text).split()), self._href))
            self._href = None


def assets(html: str) -> list[str]:
    """The URLs of the page's style sheets (`<link rel=stylesheet>`) and `<script src>`."""
    parser = _Assets()
    parser.feed(html)
    return parser.urls


def links(html: str) -> list[tuple[str, str]]:
    """Every link of the page: (its text, its href)."""
    parser = _Assets()
    parser.feed(html)
    return parser.links


def main_of(html: str) -> str:
    """The page's `<main>` element, where the content is (no header, footer or CSRF token)."""
    start = html.index("<main")
    return html[start : html.index("</main>", start)]


def grouped(tag: str) -> str:
    return "-".join(tag[i : i + 4] for i in range(0, 12, 4))


def shipped(
    world: World, *, count: int = 3, recipient: str = "TOPOST", dispatch: bool = True
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A pledge with a programme, allocated to `recipient`, and a shipment of `count` of its
    items. Returns (pledge, shipment, items) as the coordinator sees them."""
    p = factories.pledge(world, quantity=10, title=TITLE, programme=PROGRAMME)
    factories.items(world, p["id"], 10, prefix=f"SN{p['id']}-")
    factories.allocate(world, p["id"], recipient, 10)
    s = factories.shipment(world, p["id"], recipient)
    world.ok(world.post("korea", f"/api/v1/shipments/{s['id']}/items", json={"count": count}))
    if dispatch:
        world.ok(world.post("korea", f"/api/v1/shipments/{s['id']}/dispatch", json={}))
    items = world.ok(world.get("coord", f"/api/v1/shipments/{s['id']}/items"))
    return p, world.ok(world.get("coord", f"/api/v1/shipments/{s['id']}")), items


def item(world: World, tag: str) -> dict[str, Any]:
    """The item as the coordinator's API sees it."""
    return world.ok(world.get("coord", f"/api/v1/tags/{tag}"))


def shipment(world: World, shipment_id: int) -> dict[str, Any]:
    return world.ok(world.get("coord", f"/api/v1/shipments/{shipment_id}"))


def item_events(world: World, item_id: int, kind: str) -> list[dict[str, Any]]:
    page = world.ok(world.get("coord", "/api/v1/events", params={"item_id": item_id, "kind": kind}))
    return page["data"]
