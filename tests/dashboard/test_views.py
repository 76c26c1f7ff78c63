"""The coordinator's dashboard page: access, figures, overdue shipments, latest events."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from donations.db import Database
from donations.models import Organisation, Shipment
from tests.dashboard.helpers import (
    DEMO_COORDINATOR,
    api_token,
    browser,
    demo_coordinator,
    figures,
)
from tests.factories import PASSWORD, World

STAGES = ["allocated", "packed", "in_transit", "received", "deployed", "missing", "damaged"]
PIPELINE = ["pledged", *STAGES]


class TestAccess:
    def test_anonymous_is_sent_to_sign_in(self, app: FastAPI, world: World) -> None:
        answer = TestClient(app, follow_redirects=False).get("/dashboard")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=/dashboard"

    def test_donor_and_recipient_are_refused(self, app: FastAPI, world: World) -> None:
        for username in ("korea", "tonga"):
            answer = browser(app, username, PASSWORD).get("/dashboard")
            assert answer.status_code == 403, username
            assert "This page is not for your role." in answer.text
            assert "Programme dashboard" not in answer.text

    def test_coordinator_sees_the_page(self, app: FastAPI, world: World) -> None:
        answer = browser(app, "coord", PASSWORD).get("/dashboard")
        assert answer.status_code == 200
        assert "Programme dashboard" in answer.text
        # An empty programme is a page with its empty states, not an error.
        assert "No shipments yet." in answer.text
        assert "Nothing is allocated yet." in answer.text


class TestFigures:
    def test_numbers_match_the_stats_api(self, app: FastAPI, db: Database) -> None:
        page = demo_coordinator(app).get("/dashboard")
        assert page.status_code == 200
        api = TestClient(app)
        stats = api.get("/api/v1/stats", headers=api_token(api, *DEMO_COORDINATOR)).json()
        shown_figures = figures(page.text)

        assert shown_figures[("pipeline", "")] == {k: stats["total"][k] for k in PIPELINE}
        assert shown_figures[("total", "")] == {k: stats["total"][k] for k in STAGES}
        countries = {code for kind, code in shown_figures if kind == "country"}
        assert countries == set(stats["by_country"])
        for code, stages in stats["by_country"].items():
            assert shown_figures[("country", code)] == {k: stages[k] for k in STAGES}, code
        donors = {code for kind, code in shown_figures if kind == "donor"}
        assert donors == set(stats["by_donor"]) == {"KRPOST"}
        for code, stages in stats["by_donor"].items():
            assert shown_figures[("donor", code)] == {k: stages[k] for k in PIPELINE}, code
        # The demo's figures, as the demo describes them.
        assert stats["total"]["pledged"] == 200
        assert stats["by_country"]["TO"]["missing"] == 1
        assert stats["by_country"]["TO"]["damaged"] == 1

    def test_countries_are_named_in_the_page_language(self, app: FastAPI, db: Database) -> None:
        client = demo_coordinator(app)
        english = client.get("/dashboard").text
        assert "<td>Solomon Islands</td>" in english
        token = re.search(r'name="csrf_token" value="([^"]+)"', english)
        assert token is not None
        client.post("/language", data={"lang": "fr", "next": "/", "csrf_token": token[1]})
        french = client.get("/dashboard").text
        assert "<td>Îles Salomon</td>" in french
        assert "<td>Solomon Islands</td>" not in french

    def test_names_donors_by_organisation(self, app: FastAPI, db: Database) -> None:
        page = demo_coordinator(app).get("/dashboard").text
        row = re.search(r'<tr data-donor="KRPOST">.*?</tr>', page, re.S)
        assert row is not None
        assert "Korea Post" in row[0]


class TestOverdue:
    def test_overdue_shipment_is_listed_with_days_late(self, app: FastAPI, db: Database) -> None:
        client = demo_coordinator(app)
        with db.session() as session:
            fiji = session.scalars(select(Organisation.id).where(Organisation.code == "FJPOST"))
            tag = session.scalars(select(Shipment.tag).where(Shipment.destination_id == fiji.one()))
            fiji_tag = tag.one()
        page = client.get("/dashboard").text
        section = re.search(r'<section class="card" id="overdue".*?</section>', page, re.S)
        assert section is not None
        overdue = section[0]
        # The demo's sea freight to Suva was expected 8 days ago.
        assert f'href="/t/{fiji_tag}"' in overdue
        assert "8 days late" in overdue
        assert "Post Fiji" in overdue
        # Only that one: Samoa's EMS is not due yet, Tonga's and Nauru's have arrived.
        assert overdue.count('href="/t/') == 1


class TestLatestEvents:
    def test_the_page_polls_the_events_block(self, app: FastAPI, db: Database) -> None:
        page = demo_coordinator(app).get("/dashboard")
        assert re.search(
            r'<section id="latest-events"[^>]*hx-get="/dashboard"[^>]*hx-trigger="every 30s"',
            page.text,
        )
        assert "HX-Request" in page.headers["vary"]

    def test_htmx_refresh_answers_the_events_block_alone(self, app: FastAPI, db: Database) -> None:
        client = demo_coordinator(app)
        answer = client.get(
            "/dashboard", headers={"HX-Request": "true", "HX-Target": "latest-events"}
        )
        assert answer.status_code == 200
        body = answer.text.strip()
        assert body.startswith('<section id="latest-events"')
        assert body.endswith("</section>")
        assert body.count("<section") == 1
        assert "<html" not in body and "Pipeline by stage" not in body
        assert 'class="dash-map"' not in body
        # Each event links to its item or shipment.
        assert len(re.findall(r'href="/t/[0-9A-Z]{12}"', body)) >= 5
        assert "HX-Request" in answer.headers["vary"]

    def test_a_history_restore_gets_the_whole_page(self, app: FastAPI, db: Database) -> None:
        answer = demo_coordinator(app).get(
            "/dashboard",
            headers={
                "HX-Request": "true",
                "HX-Target": "latest-events",
                "HX-History-Restore-Request": "true",
            },
        )
        assert "<html" in answer.text and "Pipeline by stage" in answer.text

    def test_runs_of_item_events_are_one_row(self, app: FastAPI, db: Database) -> None:
        body = (
            demo_coordinator(app)
            .get("/dashboard", headers={"HX-Request": "true", "HX-Target": "latest-events"})
            .text
        )
        # The newest demo step packed 12 computers for Vanuatu: one row, not twelve.
        first = re.search(r"<li>.*?</li>", body, re.S)
        assert first is not None
        assert "<strong>Packed</strong>" in first[0] and "12 items" in first[0]
        assert body.count("<strong>Packed</strong>") < 12
