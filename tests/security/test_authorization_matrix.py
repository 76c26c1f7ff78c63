"""Every route, HTML and JSON, against every kind of caller: the authorization matrix that
docs/security.md promises.

The routes are read from the app's own route table (`app.routes`, walking the routers that
this FastAPI version includes lazily), so a route added later without an entry in `TABLE`
fails `test_every_route_has_an_entry`, and an entry whose route is gone fails it too.

Each entry says, per principal, which category of answer the route must give:

- `ok`: let through the authorization layer: a 2xx, a 3xx that is not a redirect to sign in,
  or a business refusal (409, or a 422 form or validation error);
- `401`: the JSON API's "not authenticated";
- `login`: a page's 303 redirect to `/login?next=...`;
- `403`: a role that may never do this;
- `404`: something of another organisation (existence is not revealed).

The expectations come from /work/shared/DESIGN.md, docs/decisions.md and donations/scope.py,
not from what the app happens to answer. Where the two disagree it is a bug, recorded in
`KNOWN_BUGS` (the route's test is then an xfail(strict=True) that fails as soon as the bug
is fixed, or as soon as any other cell of the row changes).

The data, built through the API: a pledge of Korea Post (12 units, 10 items) allocated to
Tonga Post (10); shipment S1 to Tonga, dispatched with 5 items, one of them received;
shipment S2 to Tonga, a draft with 2 items packed; an extra user (`samoa`, a recipient of
Samoa Post) for the user pages to act on. The read-only routes (GET, HEAD) share one such
world; every route that writes gets a fresh one. Principals are tried from the least to the
most privileged, so that what an allowed one changes (a receipt, a dispatch) cannot change
the answer a denied one gets.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import create_engine, make_url, text
from starlette.routing import BaseRoute, Mount, Route

from donations.app import create_app
from donations.config import Settings
from donations.web import CSRF_COOKIE
from tests import factories
from tests.factories import World, build_world

# The table's columns, and the order in which the principals are tried (least to most
# privileged: outsiders first, then the addressed recipient, the owning donor, the coordinator).
COLUMNS = ("anonymous", "coord", "korea", "japan", "tonga", "fiji")
ORDER = ("anonymous", "japan", "fiji", "tonga", "korea", "coord")
CATEGORIES = frozenset({"ok", "401", "login", "403", "404"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Data = dict[str, Any]
Maker = Callable[[Data, str], Any]


@dataclass(frozen=True)
class Entry:
    """What one route answers each principal, and how to call it.

    `expect` lists one category per principal, in `COLUMNS` order. `params` fills the path
    parameters from the scenario's data (parameter -> key); `per_principal` overrides them
    for one principal. `json`, `form` and `files` build the body from (data, principal);
    HTML routes get the CSRF token added to every unsafe request.
    """

    expect: str
    params: dict[str, str] = field(default_factory=dict)
    query: str = ""
    json: Maker | None = None
    form: Maker | None = None
    files: Maker | None = None
    variant: str = ""
    per_principal: dict[str, dict[str, str]] = field(default_factory=dict)

    def expected(self) -> dict[str, str]:
        categories = self.expect.split()
        assert len(categories) == len(COLUMNS), self.expect
        assert set(categories) <= CATEGORIES, self.expect
        return dict(zip(COLUMNS, categories, strict=True))


# --- bodies ---------------------------------------------------------------------------------


def _username(who: str) -> str:
    return "korea" if who == "anonymous" else who


def _pledge(data: Data, who: str) -> dict[str, Any]:
    body: dict[str, Any] = {"title": "Laptops", "category": "computer", "quantity": 3}
    if who == "coord":
        body["donor"] = "KRPOST"  # a coordinator names the donor; a donor pledges for its own
    return body


def _pledge_form(data: Data, who: str) -> dict[str, str]:
    return {k: str(v) for k, v in _pledge(data, who).items()}


def _shipment(data: Data, who: str) -> dict[str, Any]:
    return {"pledge_id": data["pledge"], "recipient": "TOPOST", "mode": "air"}


def _shipment_form(data: Data, who: str) -> dict[str, str]:
    return {k: str(v) for k, v in _shipment(data, who).items()}


def _item_file(data: Data, who: str) -> dict[str, Any]:
    csv = f"serial,model,notes\nWEB-{who}-1,Samsung DM500,\n".encode()
    return {"file": ("items.csv", csv, "text/csv")}


def _new_user(data: Data, who: str) -> dict[str, str]:
    return {
        "username": f"new-{who}",
        "password": factories.PASSWORD,
        "role": "recipient",
        "organisation": "WSPOST",
        "language": "en",
    }


def _new_user_form(data: Data, who: str) -> dict[str, str]:
    return _new_user(data, who) | {"password_confirm": factories.PASSWORD}


def _organisation(data: Data, who: str) -> dict[str, str]:
    return {"code": "NZPOST", "name": "NZ Post", "country": "NZ", "kind": "recipient"}


def _const(value: dict[str, Any]) -> Maker:
    return lambda data, who: dict(value)


def _scan(tag_key: str, **extra: Any) -> Maker:
    return lambda data, who: {"tag": data[tag_key], "action": "receive"} | extra


NEW_PASSWORD = "another long password"
SITE = "Nuku'alofa Post Office"

TRANSIT = {"tag": "transit_tag"}  # an item of S1 in transit to Tonga
RECEIVED = {"tag": "received_tag"}  # an item of S1 received by Tonga
DRAFT_ITEM = {"tag": "draft_item_tag"}  # an item packed in the draft S2
S1 = {"shipment_id": "shipment"}  # dispatched to Tonga
S2 = {"shipment_id": "draft"}  # a draft to Tonga
PLEDGE = {"pledge_id": "pledge"}
SAMOA = {"user_id": "user"}

# Unpacking moves an item out: the coordinator (tried after the donor) unpacks the other one.
UNPACK = {"shipment_id": "draft", "item_id": "draft_item"}
UNPACK_COORD = {"coord": {"item_id": "draft_item_2"}}

# fmt: off
#                                                      anonymous coord korea japan tonga fiji
TABLE: dict[tuple[str, str], Entry | tuple[Entry, ...]] = {
    # --- public ------------------------------------------------------------------------------
    ("GET", "/healthz"):                        Entry("ok    ok    ok    ok    ok    ok"),
    ("GET", "/docs"):                           Entry("ok    ok    ok    ok    ok    ok"),
    ("GET", "/openapi.json"):                   Entry("ok    ok    ok    ok    ok    ok"),
    ("HEAD", "/openapi.json"):                  Entry("ok    ok    ok    ok    ok    ok"),
    ("GET", "/static/{path}"):                  Entry("ok    ok    ok    ok    ok    ok",
                                                      params={"path": "static_file"}),
    ("GET", "/login"):                          Entry("ok    ok    ok    ok    ok    ok"),
    ("POST", "/login"):                         Entry("ok    ok    ok    ok    ok    ok",
                                                      form=lambda d, who: {"username": _username(who), "password": factories.PASSWORD, "next": "/"}),
    ("POST", "/logout"):                        Entry("ok    ok    ok    ok    ok    ok"),
    ("POST", "/language"):                      Entry("ok    ok    ok    ok    ok    ok",
                                                      form=_const({"lang": "fr", "next": "/"})),
    # The scan landing page: anonymous gets the public view; a signed-in user of another
    # organisation a 404; a recipient sees a draft's items only from dispatch on.
    ("GET", "/t/{tag}"): (
        Entry("ok    ok    ok    404   ok    404", params=TRANSIT, variant="item in transit"),
        Entry("ok    ok    ok    404   ok    404", params={"tag": "shipment_tag"}, variant="dispatched shipment"),
        Entry("ok    ok    ok    404   404   404", params=DRAFT_ITEM, variant="item in a draft"),
        Entry("ok    ok    ok    404   404   404", params={"tag": "draft_tag"}, variant="draft shipment"),
    ),
    ("GET", "/T/{tag}"):                        Entry("ok    ok    ok    404   ok    404", params=TRANSIT),
    ("GET", "/api/v1/tags/{tag}"): (
        # Public fields for whoever may not see more (DESIGN.md: "anyone").
        Entry("ok    ok    ok    ok    ok    ok", params=TRANSIT, variant="item in transit"),
        Entry("ok    ok    ok    ok    ok    ok", params={"tag": "draft_tag"}, variant="draft shipment"),
    ),
    ("POST", "/api/v1/auth/token"):             Entry("ok    ok    ok    ok    ok    ok",
                                                      form=lambda d, who: {"username": _username(who), "password": factories.PASSWORD}),

    # --- any signed-in user, scoped ------------------------------------------------------------
    ("GET", "/"):                               Entry("login ok    ok    ok    ok    ok"),
    ("GET", "/shipments"):                      Entry("login ok    ok    ok    ok    ok"),
    ("GET", "/events"):                         Entry("login ok    ok    ok    ok    ok"),
    ("GET", "/shipments/{shipment_id}"): (
        # A recipient is sent on to the shipment's receiving checklist (a 303 to /t/{tag}).
        Entry("login ok    ok    404   ok    404", params=S1, variant="dispatched"),
        Entry("login ok    ok    404   404   404", params=S2, variant="draft"),
    ),
    ("DELETE", "/api/v1/auth/token"):           Entry("401   ok    ok    ok    ok    ok"),
    ("GET", "/api/v1/me"):                      Entry("401   ok    ok    ok    ok    ok"),
    ("GET", "/api/v1/organisations"):           Entry("401   ok    ok    ok    ok    ok"),
    ("GET", "/api/v1/shipments"):               Entry("401   ok    ok    ok    ok    ok"),
    ("GET", "/api/v1/stats"):                   Entry("401   ok    ok    ok    ok    ok"),
    ("GET", "/api/v1/events"):                  Entry("401   ok    ok    ok    ok    ok"),
    ("GET", "/api/v1/shipments/{shipment_id}"): (
        Entry("401   ok    ok    404   ok    404", params=S1, variant="dispatched"),
        Entry("401   ok    ok    404   404   404", params=S2, variant="draft"),
    ),
    ("GET", "/api/v1/shipments/{shipment_id}/items"): (
        Entry("401   ok    ok    404   ok    404", params=S1, variant="dispatched"),
        Entry("401   ok    ok    404   404   404", params=S2, variant="draft"),
    ),
    # A recipient lists the pledge's items dispatched to it; 404 when there are none.
    ("GET", "/api/v1/pledges/{pledge_id}/items"): Entry("401   ok    ok    404   ok    404", params=PLEDGE),
    ("GET", "/api/v1/tags/{tag}/qr.svg"): (
        Entry("401   ok    ok    404   ok    404", params=TRANSIT, variant="item in transit"),
        Entry("401   ok    ok    404   404   404", params=DRAFT_ITEM, variant="item in a draft"),
    ),
    ("GET", "/api/v1/tags/{tag}/qr.png"):       Entry("401   ok    ok    404   ok    404", params=TRANSIT),

    # --- recipient (addressed) and coordinator -------------------------------------------------
    ("GET", "/scan"):                           Entry("login ok    403   403   ok    ok"),
    # Another post's tag is "unknown" on the scan page (a 303 back to /scan), nothing written.
    ("POST", "/scan"):                          Entry("login ok    403   403   ok    ok",
                                                      form=lambda d, who: {"tag": d["transit_tag"]}),
    ("POST", "/t/{tag}/receive"):               Entry("login ok    403   404   ok    404",
                                                      params=TRANSIT, form=_const({"condition": "good"})),
    ("POST", "/t/{tag}/deploy"):                Entry("login ok    403   404   ok    404",
                                                      params=RECEIVED, form=_const({"site": SITE})),
    ("POST", "/t/{tag}/close"):                 Entry("login ok    403   404   ok    404",
                                                      params={"tag": "shipment_tag"}),
    ("POST", "/api/v1/scans"): (
        Entry("401   ok    403   403   ok    404", json=_scan("transit_tag"), variant="item in transit"),
        Entry("401   ok    403   403   ok    404", json=_scan("received_tag", action="deploy", site=SITE), variant="deploy"),
        # Not addressed to Tonga yet: 404 for Tonga; the coordinator gets the 409.
        Entry("401   ok    403   403   404   404", json=_scan("draft_item_tag"), variant="item in a draft"),
    ),
    ("POST", "/api/v1/shipments/{shipment_id}/close"): Entry("401   ok    403   403   ok    404", params=S1),

    # --- donor (own organisation) and coordinator ----------------------------------------------
    ("GET", "/pledges"):                        Entry("login ok    ok    ok    403   403"),
    ("GET", "/pledges/new"):                    Entry("login ok    ok    ok    403   403"),
    ("POST", "/pledges/new"):                   Entry("login ok    ok    ok    403   403", form=_pledge_form),
    ("GET", "/pledges/{pledge_id}"):            Entry("login ok    ok    404   403   403", params=PLEDGE),
    ("POST", "/pledges/{pledge_id}/items"):     Entry("login ok    ok    404   403   403", params=PLEDGE, files=_item_file),
    ("GET", "/shipments/new"):                  Entry("login ok    ok    ok    403   403"),
    # Another donor's pledge named in the form: the form's 422 "pledge N not found", the same
    # answer as for a pledge that does not exist (see test_a_form_naming_another_donors_pledge).
    ("POST", "/shipments/new"):                 Entry("login ok    ok    ok    403   403", form=_shipment_form),
    ("GET", "/shipments/s10-check"):            Entry("login ok    ok    ok    403   403",
                                                      query="tracking_number=RR287043775IN&mode=post"),
    ("GET", "/shipments/{shipment_id}/labels"): Entry("login ok    ok    404   403   403", params=S1),
    ("POST", "/shipments/{shipment_id}/pack"):  Entry("login ok    ok    404   403   403",
                                                      params=S2, form=_const({"count": "1"})),
    ("POST", "/shipments/{shipment_id}/items/{item_id}/unpack"):
                                                Entry("login ok    ok    404   403   403",
                                                      params=UNPACK, per_principal=UNPACK_COORD),
    ("POST", "/shipments/{shipment_id}/dispatch"): Entry("login ok    ok    404   403   403", params=S2),
    ("GET", "/api/v1/pledges"):                 Entry("401   ok    ok    ok    403   403"),
    ("POST", "/api/v1/pledges"):                Entry("401   ok    ok    ok    403   403", json=_pledge),
    ("GET", "/api/v1/pledges/{pledge_id}"):     Entry("401   ok    ok    404   403   403", params=PLEDGE),
    ("POST", "/api/v1/pledges/{pledge_id}/items"): Entry("401   ok    ok    404   403   403",
                                                      params=PLEDGE, json=_const({"generate": 1})),
    ("GET", "/api/v1/pledges/{pledge_id}/allocations"): Entry("401   ok    ok    404   403   403", params=PLEDGE),
    ("POST", "/api/v1/shipments"):              Entry("401   ok    ok    404   403   403", json=_shipment),
    ("POST", "/api/v1/shipments/{shipment_id}/items"): Entry("401   ok    ok    404   403   403",
                                                      params=S2, json=_const({"count": 1})),
    ("DELETE", "/api/v1/shipments/{shipment_id}/items/{item_id}"):
                                                Entry("401   ok    ok    404   403   403",
                                                      params=UNPACK, per_principal=UNPACK_COORD),
    ("POST", "/api/v1/shipments/{shipment_id}/dispatch"): Entry("401   ok    ok    404   403   403",
                                                      params=S2, json=_const({})),
    # The shipment's donor or a coordinator prints labels; the addressed recipient gets 403.
    ("GET", "/api/v1/shipments/{shipment_id}/labels.pdf"): Entry("401   ok    ok    404   403   404", params=S1),
    ("GET", "/api/v1/exports/items.csv"):       Entry("401   ok    ok    ok    403   403"),
    ("GET", "/api/v1/exports/events.csv"):      Entry("401   ok    ok    ok    403   403"),

    # --- coordinator only ----------------------------------------------------------------------
    ("GET", "/dashboard"):                      Entry("login ok    403   403   403   403"),
    ("POST", "/pledges/{pledge_id}/allocations"): Entry("login ok    403   403   403   403",
                                                      params=PLEDGE, form=_const({"recipient": "FJPOST", "quantity": "1"})),
    ("GET", "/organisations"):                  Entry("login ok    403   403   403   403"),
    ("GET", "/organisations/new"):              Entry("login ok    403   403   403   403"),
    ("POST", "/organisations/new"):             Entry("login ok    403   403   403   403", form=_organisation),
    ("GET", "/users"):                          Entry("login ok    403   403   403   403"),
    ("GET", "/users/new"):                      Entry("login ok    403   403   403   403"),
    ("POST", "/users/new"):                     Entry("login ok    403   403   403   403", form=_new_user_form),
    ("GET", "/users/{user_id}"):                Entry("login ok    403   403   403   403", params=SAMOA),
    ("POST", "/users/{user_id}/active"):        Entry("login ok    403   403   403   403",
                                                      params=SAMOA, form=_const({"active": "false"})),
    ("POST", "/users/{user_id}/password"):      Entry("login ok    403   403   403   403",
                                                      params=SAMOA, form=_const({"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})),
    ("POST", "/api/v1/organisations"):          Entry("401   ok    403   403   403   403", json=_organisation),
    ("GET", "/api/v1/users"):                   Entry("401   ok    403   403   403   403"),
    ("POST", "/api/v1/users"):                  Entry("401   ok    403   403   403   403", json=_new_user),
    ("POST", "/api/v1/pledges/{pledge_id}/allocations"): Entry("401   ok    403   403   403   403",
                                                      params=PLEDGE, json=_const({"recipient": "FJPOST", "quantity": 1})),
}
# fmt: on

# (method, path, variant) -> (the principals answered wrongly, the bug): routes where the app
# disagrees with DESIGN.md. The cells of the table above stay what DESIGN.md says; the row's
# test is an xfail(strict=True) that passes only while exactly these cells are wrong.
KNOWN_BUGS: dict[tuple[str, str, str], tuple[tuple[str, ...], str]] = {}


# --- the route table --------------------------------------------------------------------------


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, HTML and JSON, from its own route table."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Iterable[BaseRoute], prefix: str) -> None:
        for route in routes:
            original = getattr(route, "original_router", None)
            if original is not None:  # a lazily included router
                context = getattr(route, "include_context", None)
                walk(original.routes, prefix + (getattr(context, "prefix", "") or ""))
            elif isinstance(route, Mount):
                found.add(("GET", f"{prefix}{route.path}/{{path}}"))
            elif isinstance(route, Route):  # APIRoute is a Route
                for method in route.methods or ():
                    found.add((method, prefix + route.path))
            else:
                raise AssertionError(f"a route of an unknown kind: {route!r}")

    walk(app.routes, "")
    return found


def test_every_route_has_an_entry(app: FastAPI) -> None:
    routes = app_routes(app)
    missing = sorted(routes - set(TABLE))
    stale = sorted(set(TABLE) - routes)

    assert not missing, f"routes without an entry in TABLE: {missing}"
    assert not stale, f"entries in TABLE for routes that no longer exist: {stale}"


def test_the_walk_finds_the_routes_of_the_included_routers(app: FastAPI) -> None:
    """Guards the walk itself: a FastAPI that stopped nesting routers must not make the
    coverage test above pass on an empty list."""
    routes = app_routes(app)

    assert ("POST", "/api/v1/scans") in routes
    assert ("GET", "/t/{tag}") in routes
    assert ("GET", "/healthz") in routes
    assert len(routes) >= 70


# --- the scenario -----------------------------------------------------------------------------


def build_scenario(world: World) -> Data:
    pledge = factories.pledge(world, quantity=12)
    factories.items(world, pledge["id"], 10)
    factories.allocate(world, pledge["id"], "TOPOST", 10)

    s1 = factories.shipment(world, pledge["id"], "TOPOST")
    world.ok(world.post("korea", f"/api/v1/shipments/{s1['id']}/items", json={"count": 5}))
    world.ok(world.post("korea", f"/api/v1/shipments/{s1['id']}/dispatch", json={}))
    sent = world.ok(world.get("coord", f"/api/v1/shipments/{s1['id']}/items"))
    received, transit = sent[0], sent[1]
    world.ok(
        world.post("tonga", "/api/v1/scans", json={"tag": received["tag"], "action": "receive"})
    )

    s2 = factories.shipment(world, pledge["id"], "TOPOST")
    world.ok(world.post("korea", f"/api/v1/shipments/{s2['id']}/items", json={"count": 2}))
    packed = world.ok(world.get("coord", f"/api/v1/shipments/{s2['id']}/items"))

    samoa = world.ok(
        world.post(
            "coord",
            "/api/v1/users",
            json={
                "username": "samoa",
                "password": factories.PASSWORD,
                "role": "recipient",
                "organisation": "WSPOST",
            },
        ),
        201,
    )
    return {
        "pledge": pledge["id"],
        "shipment": s1["id"],
        "shipment_tag": s1["tag"],
        "draft": s2["id"],
        "draft_tag": s2["tag"],
        "transit_tag": transit["tag"],
        "received_tag": received["tag"],
        "draft_item": packed[0]["id"],
        "draft_item_2": packed[1]["id"],
        "draft_item_tag": packed[0]["tag"],
        "user": samoa["id"],
        "static_file": "favicon.svg",
    }


# --- asking ------------------------------------------------------------------------------------


def is_page(path: str) -> bool:
    """HTML pages authenticate with the session cookie; the rest with a bearer token."""
    return not (
        path.startswith(("/api/", "/static/")) or path in ("/healthz", "/docs", "/openapi.json")
    )


class Callers:
    """The six principals: bearer headers for the API, signed-in browsers for the pages."""

    def __init__(self, app: FastAPI, world: World) -> None:
        self.app = app
        self.world = world
        self.browsers: dict[str, TestClient] = {}

    def _client(self) -> TestClient:
        # A 500 is an answer to classify, not an exception.
        return TestClient(app=self.app, follow_redirects=False, raise_server_exceptions=False)

    def browser(self, who: str) -> TestClient:
        if who not in self.browsers:
            browser = self._client()
            browser.get("/login")  # the CSRF cookie
            if who != "anonymous":
                response = browser.post(
                    "/login",
                    data={
                        "username": who,
                        "password": factories.PASSWORD,
                        "next": "/",
                        "csrf_token": browser.cookies[CSRF_COOKIE],
                    },
                )
                assert response.status_code == 303, response.text
            self.browsers[who] = browser
        return self.browsers[who]

    def ask(self, who: str, method: str, template: str, entry: Entry, data: Data) -> Response:
        params = entry.params | entry.per_principal.get(who, {})
        path = template.format(**{name: data[key] for name, key in params.items()})
        url = f"{path}?{entry.query}" if entry.query else path
        kwargs: dict[str, Any] = {}
        if entry.json is not None:
            kwargs["json"] = entry.json(data, who)
        form: dict[str, Any] = entry.form(data, who) if entry.form is not None else {}
        if entry.files is not None:
            kwargs["files"] = entry.files(data, who)
        if is_page(template):
            client = self.browser(who)
            if method not in SAFE_METHODS:
                form = {"csrf_token": client.cookies[CSRF_COOKIE]} | form
        else:
            client = self._client()
            if who != "anonymous":
                kwargs["headers"] = self.world.headers[who]
        if form:
            kwargs["data"] = form
        return client.request(method, url, **kwargs)


def category(response: Response) -> str:
    status = response.status_code
    location = response.headers.get("location", "")
    if status == 303 and urlsplit(location).path == "/login" and "next=" in location:
        return "login"
    if 200 <= status < 400 or status in (409, 422):
        return "ok"
    return str(status)


def _describe(response: Response) -> str:
    if response.is_redirect:
        return f"{response.status_code} -> {response.headers.get('location')}"
    text = response.text
    if response.headers.get("content-type", "").startswith("text/html"):
        text = " ".join(text.split())[-300:]
    return f"{response.status_code} {text[:300]}"


class KnownBug(AssertionError):
    """The row differs from the table exactly in the cells KNOWN_BUGS names."""


def _cases() -> Iterator[Any]:
    for (method, path), entries in TABLE.items():
        for entry in entries if isinstance(entries, tuple) else (entries,):
            name = f"{method} {path}" + (f" [{entry.variant}]" if entry.variant else "")
            bug = KNOWN_BUGS.get((method, path, entry.variant))
            marks = [pytest.mark.xfail(strict=True, raises=KnownBug, reason=bug[1])] if bug else []
            yield pytest.param(method, path, entry, id=name, marks=marks)


@dataclass
class Setting:
    app: FastAPI
    world: World
    data: Data
    callers: Callers


@pytest.fixture(scope="module")
def shared_database_url(
    template_database: str, pg_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of this module's own for the read-only routes, beside the per-test one."""
    if pg_url is None:
        path = tmp_path_factory.mktemp("matrix") / "matrix.db"
        shutil.copyfile(template_database, path)
        yield f"sqlite:///{path}"
        return
    base = make_url(pg_url)
    name = f"{base.database}_matrix"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def shared(shared_database_url: str) -> Iterator[Setting]:
    """One world for every read-only route (GET, HEAD): reading changes nothing, so the
    principals and the routes may share it."""
    settings = Settings(
        environment="test",
        database_url=shared_database_url,
        base_url="http://testserver",
        secret_key="test-secret-key-that-is-long-enough-000",
    )
    app = create_app(settings)
    with TestClient(app) as client:  # the lifespan migrates a new PostgreSQL database
        world = build_world(client, app.state.db)
        yield Setting(app, world, build_scenario(world), Callers(app, world))
    app.state.db.dispose()


@pytest.mark.parametrize(("method", "path", "entry"), list(_cases()))
def test_route_answers_every_principal_as_the_table_says(
    request: pytest.FixtureRequest, method: str, path: str, entry: Entry
) -> None:
    if method in SAFE_METHODS:
        setting: Setting = request.getfixturevalue("shared")
    else:  # a fresh world for every route that writes
        app: FastAPI = request.getfixturevalue("app")
        world: World = request.getfixturevalue("world")
        setting = Setting(app, world, build_scenario(world), Callers(app, world))
    expected = entry.expected()

    answers = {who: setting.callers.ask(who, method, path, entry, setting.data) for who in ORDER}

    wrong = {who: r for who, r in answers.items() if category(r) != expected[who]}
    report = "\n".join(
        f"  {who}: expected {expected[who]}, got {category(r)}: {_describe(r)}"
        for who, r in wrong.items()
    )
    bug = KNOWN_BUGS.get((method, path, entry.variant))
    if bug is not None and set(wrong) == set(bug[0]):
        raise KnownBug(f"{method} {path} {entry.variant} (known bug):\n{report}")
    assert not wrong, f"{method} {path} {entry.variant}:\n{report}"


# --- what the coarse categories do not show ---------------------------------------------------

PUBLIC_TAG_FIELDS = {
    "type",
    "tag",
    "title",
    "category",
    "model",
    "donor",
    "donor_name",
    "programme",
}


@pytest.mark.parametrize("who", ["anonymous", "japan", "fiji"])
@pytest.mark.parametrize("tag", ["transit_tag", "shipment_tag", "draft_item_tag", "draft_tag"])
def test_a_tag_look_up_shows_only_public_fields_to_whoever_may_not_see_more(
    shared: Setting, who: str, tag: str
) -> None:
    entry = Entry("ok ok ok ok ok ok", params={"tag": tag})

    answer = shared.callers.ask(who, "GET", "/api/v1/tags/{tag}", entry, shared.data)

    assert answer.status_code == 200
    assert set(answer.json()) == PUBLIC_TAG_FIELDS


def _main(page: Response) -> str:
    return page.text[page.text.index("<main") : page.text.index("</main>")]


def test_a_form_naming_another_donors_pledge_is_answered_as_for_no_pledge(
    app: FastAPI, world: World
) -> None:
    """POST /shipments/new is a 422 form error for Japan Post naming Korea Post's pledge
    (the table's `ok`): the same answer as for a pledge that does not exist, and nothing is
    written."""
    data = build_scenario(world)
    callers = Callers(app, world)
    entry = Entry("login ok ok ok 403 403", form=_shipment_form)
    before = world.ok(world.get("coord", "/api/v1/shipments"))["data"]

    theirs = callers.ask("japan", "POST", "/shipments/new", entry, data)
    none = callers.ask("japan", "POST", "/shipments/new", entry, data | {"pledge": 999_999})

    assert theirs.status_code == none.status_code == 422
    assert _main(theirs) == _main(none)
    assert world.ok(world.get("coord", "/api/v1/shipments"))["data"] == before


def test_another_posts_tag_on_the_scan_page_is_unknown_and_receives_nothing(
    app: FastAPI, world: World
) -> None:
    """POST /scan is open to every recipient (the table's `ok` for Fiji): a tag addressed to
    Tonga is "unknown" to Fiji, and the item stays in transit."""
    data = build_scenario(world)
    entry = TABLE[("POST", "/scan")]
    assert isinstance(entry, Entry)

    answer = Callers(app, world).ask("fiji", "POST", "/scan", entry, data)

    assert answer.status_code == 303
    assert "result=unknown" in answer.headers["location"]
    item = world.ok(world.get("coord", f"/api/v1/tags/{data['transit_tag']}"))
    assert item["state"] == "in_transit"
