"""The scan's database thread (SQLite) survives the app stopping and starting again in the
same process, as it does in tests and under hosts that reuse an app object."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import World
from tests.scans.server import running_server
from tests.shipments.helpers import ready_pledge, sent


def test_scans_still_work_after_the_app_stopped_and_started_again(
    app: FastAPI, world: World
) -> None:
    pledge = ready_pledge(world)
    _, packed = sent(world, pledge["id"], count=2)
    with running_server(app):
        pass  # a server of the same app starts and stops: its shutdown disposes the database
    response = world.client.post(
        "/api/v1/scans",
        json={"tag": packed[0]["tag"], "action": "receive"},
        headers=world.as_("tonga"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "received"


def test_a_bad_token_is_still_a_401_after_a_restart(app: FastAPI) -> None:
    with TestClient(app):
        pass
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(
            "/api/v1/scans",
            json={"tag": "7KQ29XHM3PDA", "action": "receive"},
            headers={"Authorization": "Bearer not-a-token"},
        )
    assert response.status_code == 401, response.text
