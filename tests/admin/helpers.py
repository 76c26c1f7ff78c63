"""Signing in through the login form, and posting forms with the CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from donations.db import Database
from donations.models import Event, Organisation, User
from donations.web import CSRF_COOKIE
from tests.factories import PASSWORD


def browser(app: FastAPI) -> TestClient:
    """A browser of its own (its own cookies), which does not follow redirects."""
    return TestClient(app, follow_redirects=False)


def csrf(client: TestClient) -> str:
    """The token of the `donations_csrf` cookie, fetching a page first if there is none."""
    if CSRF_COOKIE not in client.cookies:
        client.get("/login")
    return str(client.cookies[CSRF_COOKIE])


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """POST /login as a browser does; the response (303 when it worked, 401 when not)."""
    return client.post(
        "/login",
        data={"username": username, "password": password, "next": "/", "csrf_token": csrf(client)},
        follow_redirects=False,
    )


def signed_in(app: FastAPI, username: str, password: str = PASSWORD) -> TestClient:
    client = browser(app)
    response = sign_in(client, username, password)
    assert response.status_code == 303, response.text
    return client


def post_form(client: TestClient, url: str, data: dict[str, str] | None = None) -> Any:
    """A form POST with the CSRF field, not following the redirect."""
    return client.post(
        url, data={"csrf_token": csrf(client)} | (data or {}), follow_redirects=False
    )


def counts(db: Database) -> tuple[int, int, int]:
    """(organisations, users, events): to show that a refused form wrote nothing."""
    with db.session(write=False) as session:
        return (
            session.scalar(select(func.count(Organisation.id))) or 0,
            session.scalar(select(func.count(User.id))) or 0,
            session.scalar(select(func.count(Event.id))) or 0,
        )
