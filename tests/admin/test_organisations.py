"""The organisations pages: the list and the form that adds one."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from donations.db import Database
from donations.models import Event, Organisation
from tests.admin.helpers import counts, post_form, signed_in
from tests.factories import World

NEW_ORG = {
    "code": "nzpost",
    "name": "NZ Post",
    "country": "NZ",
    "kind": "partner",
    "city": "Wellington",
    "lat": "-41.2865",
    "lon": "174.7762",
}


class TestList:
    def test_lists_every_organisation_with_country_kind_place_and_users(
        self, app: FastAPI, world: World
    ) -> None:
        page = signed_in(app, "coord").get("/organisations").text

        assert page.index("Japan Post") < page.index("Korea Post") < page.index("Tonga Post")
        assert "Switzerland" in page  # the country's name, not only CH
        assert "21.139°\u00a0S,\u00a0175.205°\u00a0W" in page
        assert "Nuku&#39;alofa" in page
        assert 'href="/users?organisation=TOPOST">1<' in page  # one user: tonga
        assert 'id="org-WSPOST"' in page

    def test_country_names_follow_the_page_language(
        self, app: FastAPI, world: World, db: Database
    ) -> None:
        client = signed_in(app, "coord")
        post_form(client, "/language", {"lang": "fr", "next": "/organisations"})

        page = client.get("/organisations").text

        assert "Suisse" in page
        assert "Corée du Sud" in page
        assert "21,139°\u00a0S" in page


class TestCreate:
    def test_form_offers_every_country_by_name_and_the_kinds(
        self, app: FastAPI, world: World
    ) -> None:
        page = signed_in(app, "coord").get("/organisations/new").text

        assert page.count("<option value=") == 2 + 249 + 3  # "choose" twice, countries, kinds
        assert '<option value="TO" >Tonga</option>' in page
        assert '<option value="recipient"' in page
        assert 'name="csrf_token"' in page

    def test_coordinator_adds_an_organisation(
        self, app: FastAPI, world: World, db: Database
    ) -> None:
        client = signed_in(app, "coord")

        response = post_form(client, "/organisations/new", NEW_ORG)

        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/organisations#org-NZPOST"
        page = client.get("/organisations").text
        assert "Organisation NZ Post (NZPOST) added." in page
        assert 'id="org-NZPOST"' in page
        with db.session(write=False) as session:
            org = session.scalars(select(Organisation).where(Organisation.code == "NZPOST")).one()
            assert (org.name, org.country, org.kind, org.city) == (
                "NZ Post",
                "NZ",
                "partner",
                "Wellington",
            )
            assert (org.lat, org.lon) == (-41.2865, 174.7762)
            event = session.scalars(select(Event).where(Event.kind == "organisation.created")).one()
            assert event.source == "web"
            assert event.actor_id == world.users["coord"]

    def test_coordinates_are_optional(self, app: FastAPI, world: World, db: Database) -> None:
        data = {k: v for k, v in NEW_ORG.items() if k not in ("lat", "lon", "city")}

        response = post_form(signed_in(app, "coord"), "/organisations/new", data)

        assert response.status_code == 303, response.text
        with db.session(write=False) as session:
            org = session.scalars(select(Organisation).where(Organisation.code == "NZPOST")).one()
            assert (org.city, org.lat, org.lon) == (None, None, None)

    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            ({"code": "TOPOST"}, "code", "already exists"),
            ({"code": "nz post!"}, "code", "upper-case letters"),
            ({"country": "XX"}, "country", "not an ISO 3166-1 alpha-2 country code"),
            ({"country": ""}, "country", "Field required"),
            ({"kind": "sponsor"}, "kind", "Input should be"),
            ({"name": "   "}, "name", "Field required"),
            ({"lat": "123"}, "lat", "less than or equal to 90"),
            ({"lon": "east"}, "lon", "valid number"),
        ],
    )
    def test_bad_input_is_shown_on_its_field_and_nothing_is_written(
        self,
        app: FastAPI,
        world: World,
        db: Database,
        change: dict[str, Any],
        field: str,
        message: str,
    ) -> None:
        client = signed_in(app, "coord")
        before = counts(db)

        response = post_form(client, "/organisations/new", NEW_ORG | change)

        assert response.status_code == 422
        assert f'<p id="e-{field}" class="field-error">' in response.text
        error = response.text.split(f'<p id="e-{field}" class="field-error">')[1].split("</p>")[0]
        assert message in error
        assert 'value="Wellington"' in response.text  # what was typed is kept
        assert counts(db) == before
