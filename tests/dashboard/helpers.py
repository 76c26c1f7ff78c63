"""Signing a browser in, and reading the dashboard's figures and map back from its HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fastapi import FastAPI
from fastapi.testclient import TestClient

from donations import demo

DEMO_COORDINATOR = ("coordinator", "coordinator-demo-pw")


def browser(app: FastAPI, username: str, password: str) -> TestClient:
    """A browser of its own (its own cookies) signed in with the login form."""
    client = TestClient(app, follow_redirects=False)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None, form.text
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token[1], "next": "/"},
    )
    assert answer.status_code == 303, answer.text
    return client


def demo_coordinator(app: FastAPI) -> TestClient:
    demo.load(app.state.db)
    return browser(app, *DEMO_COORDINATOR)


def api_token(client: TestClient, username: str, password: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _number(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text) or 0)


class _Figures(HTMLParser):
    """Numbers of the elements with `data-stage`, by the row (data-country, data-donor,
    data-total) or the pipeline list item they are in."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[tuple[str, str], dict[str, int]] = {}
        self.row: tuple[str, str] | None = None
        self.cell: str | None = None
        self.pipeline: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr":
            for kind in ("country", "donor", "total"):
                if f"data-{kind}" in a:
                    self.row = (kind, a[f"data-{kind}"] or "")
        elif tag == "td" and "data-stage" in a and self.row:
            self.cell, self.text = a["data-stage"], ""
        elif tag == "li" and "data-stage" in a:
            self.pipeline = a["data-stage"]
        elif tag == "strong" and self.pipeline:
            self.cell, self.text = self.pipeline, ""

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self.row = None
        elif tag == "td" and self.cell and self.row:
            self.rows.setdefault(self.row, {})[self.cell] = _number(self.text)
            self.cell = None
        elif tag == "strong" and self.cell and self.pipeline:
            self.rows.setdefault(("pipeline", ""), {})[self.cell] = _number(self.text)
            self.cell, self.pipeline = None, None


def figures(html: str) -> dict[tuple[str, str], dict[str, int]]:
    """{("country", "TO"): {"allocated": 18, ...}, ("donor", "KRPOST"): ..., ("total", ""):
    ..., ("pipeline", ""): ...}"""
    parser = _Figures()
    parser.feed(html)
    return parser.rows


def svg(html: str) -> str:
    match = re.search(r'<svg class="dash-map".*?</svg>\s*</div>', html, re.S)
    assert match is not None, "no map on the page"
    return match[0]


def path_points(d: str) -> list[list[tuple[float, float]]]:
    """The absolute positions of each subpath of path data made of M, l and z."""
    subpaths = []
    for move, steps in re.findall(r"M([-\d.]+,[-\d.]+)l([^Mz]*)", d):
        x, y = (float(v) for v in move.split(","))
        points = [(x, y)]
        for step in steps.split():
            dx, dy = (float(v) for v in step.split(","))
            x, y = x + dx, y + dy
            points.append((x, y))
        subpaths.append(points)
    return subpaths
