"""Fixtures for the HTML pages: browsers (each with its own cookies) signed in or not."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from tests.factories import World
from tests.web.helpers import WebClient


@pytest.fixture
def anonymous(app: FastAPI, world: World) -> WebClient:
    """A browser that is not signed in (the world exists, so there is something to see)."""
    return WebClient(app)


@pytest.fixture
def signed_in(app: FastAPI, world: World) -> Callable[[str], WebClient]:
    """`signed_in("tonga")`: a new browser, signed in through the /login form."""

    def make(username: str) -> WebClient:
        browser = WebClient(app)
        browser.sign_in(username)
        return browser

    return make
