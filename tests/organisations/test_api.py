"""Organisations through the JSON API: GET and POST /api/v1/organisations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import ORGS, World

URL = "/api/v1/organisations"


def new_org(**extra: Any) -> dict[str, Any]:
    return {
        "code": "VUPOST",
        "name": "Vanuatu Post",
        "country": "VU",
        "kind": "recipient",
        "city": "Port Vila",
        "lat": -17.7334,
        "lon": 168.3273,
    } | extra


def codes(world: World) -> list[str]:
    return [o["code"] for o in world.ok(world.get("coord", f"{URL}?limit=1000"))["data"]]


def created_events(world: World) -> list[dict[str, Any]]:
    page = world.ok(world.get("coord", "/api/v1/events?kind=organisation.created&limit=1000"))
    return page["data"]  # type: ignore[no-any-return]


class TestListOrganisations:
    @pytest.mark.parametrize("who", ["coord", "korea", "japan", "tonga", "fiji"])
    def test_any_signed_in_user_sees_every_organisation(self, world: World, who: str) -> None:
        page = world.ok(world.get(who, URL))

        assert [o["code"] for o in page["data"]] == [code for code, *_ in ORGS]
        assert page["next"] is None

    def test_shape(self, world: World) -> None:
        page = world.ok(world.get("tonga", URL))

        tonga = next(o for o in page["data"] if o["code"] == "TOPOST")
        assert tonga == {
            "id": tonga["id"],
            "code": "TOPOST",
            "name": "Tonga Post",
            "country": "TO",
            "kind": "recipient",
            "city": "Nuku'alofa",
            "lat": -21.1393,
            "lon": -175.2049,
        }

    def test_cursor_paging_walks_every_organisation_once(self, world: World) -> None:
        seen: list[str] = []
        page = world.ok(world.get("korea", f"{URL}?limit=4"))
        seen += [o["code"] for o in page["data"]]
        while page["next"] is not None:
            page = world.ok(world.get("korea", f"{URL}?limit=4&after={page['next']}"))
            seen += [o["code"] for o in page["data"]]

        assert seen == [code for code, *_ in ORGS]

    def test_limit_above_1000_is_422(self, world: World) -> None:
        response = world.get("korea", f"{URL}?limit=1001")

        assert response.status_code == 422
        assert "limit" in response.json()["detail"]

    def test_garbage_cursor_is_422(self, world: World) -> None:
        response = world.get("korea", f"{URL}?after=abc")

        assert response.status_code == 422
        assert response.json()["detail"].startswith("after:")


class TestCreateOrganisation:
    def test_coordinator_creates(self, world: World) -> None:
        created = world.ok(world.post("coord", URL, json=new_org()), 201)

        assert created == new_org() | {"id": created["id"]}
        assert "VUPOST" in codes(world)
        assert [e["data"]["code"] for e in created_events(world)] == ["VUPOST"]

    def test_code_and_country_are_upper_cased(self, world: World) -> None:
        created = world.ok(
            world.post("coord", URL, json=new_org(code=" vu-post ", country="vu")), 201
        )

        assert created["code"] == "VU-POST"
        assert created["country"] == "VU"

    def test_optional_fields_may_be_left_out(self, world: World) -> None:
        body = {"code": "NRPOST", "name": "Nauru Post", "country": "NR", "kind": "recipient"}

        created = world.ok(world.post("coord", URL, json=body), 201)

        assert created["city"] is None and created["lat"] is None and created["lon"] is None

    def test_blank_city_is_stored_as_none(self, world: World) -> None:
        created = world.ok(world.post("coord", URL, json=new_org(city="   ")), 201)

        assert created["city"] is None

    @pytest.mark.parametrize("who", ["korea", "japan", "tonga"])
    def test_donor_and_recipient_are_403(self, world: World, who: str) -> None:
        response = world.post(who, URL, json=new_org())

        assert response.status_code == 403
        assert "coordinator" in response.json()["detail"]
        assert "VUPOST" not in codes(world)

    @pytest.mark.parametrize("code", ["TOPOST", "topost", " TOPOST "])
    def test_duplicate_code_is_409(self, world: World, code: str) -> None:
        before = codes(world)

        response = world.post("coord", URL, json=new_org(code=code))

        assert response.status_code == 409
        assert response.json()["detail"] == "code: an organisation TOPOST already exists"
        assert codes(world) == before
        assert created_events(world) == []

    @pytest.mark.parametrize(
        "code", ["", "K", "KR POST", "KR_POST", "-KR", "KR.POST", "KÖRPOST", "K" * 33]
    )
    def test_bad_code_is_422_naming_code(self, world: World, code: str) -> None:
        before = codes(world)

        response = world.post("coord", URL, json=new_org(code=code))

        assert response.status_code == 422
        assert response.json()["detail"].startswith("code: ")
        assert codes(world) == before

    @pytest.mark.parametrize("country", ["XX", "EU", "UN", "KOR", "K", "", "Tonga", "12"])
    def test_country_not_iso_3166_alpha_2_is_422_naming_country(
        self, world: World, country: str
    ) -> None:
        before = codes(world)

        response = world.post("coord", URL, json=new_org(country=country))

        assert response.status_code == 422
        detail = response.json()["detail"]
        assert detail.startswith("country: ")
        assert "ISO 3166-1 alpha-2" in detail
        assert codes(world) == before

    @pytest.mark.parametrize("lat", [90.01, -91, 1000])
    def test_latitude_out_of_range_is_422_naming_lat(self, world: World, lat: float) -> None:
        before = codes(world)

        response = world.post("coord", URL, json=new_org(lat=lat))

        assert response.status_code == 422
        assert response.json()["detail"].startswith("lat: ")
        assert codes(world) == before

    def test_latitude_not_a_number_is_422_naming_lat(self, world: World) -> None:
        response = world.post("coord", URL, json=new_org(lat="south"))

        assert response.status_code == 422
        assert response.json()["detail"].startswith("lat: ")

    @pytest.mark.parametrize("lon", [180.5, -181])
    def test_longitude_out_of_range_is_422_naming_lon(self, world: World, lon: float) -> None:
        response = world.post("coord", URL, json=new_org(lon=lon))

        assert response.status_code == 422
        assert response.json()["detail"].startswith("lon: ")
        assert "VUPOST" not in codes(world)

    def test_unknown_kind_is_422_naming_kind(self, world: World) -> None:
        response = world.post("coord", URL, json=new_org(kind="sponsor"))

        assert response.status_code == 422
        assert response.json()["detail"].startswith("kind: ")
        assert "VUPOST" not in codes(world)

    @pytest.mark.parametrize("name", ["", "   "])
    def test_blank_name_is_422_naming_name(self, world: World, name: str) -> None:
        response = world.post("coord", URL, json=new_org(name=name))

        assert response.status_code == 422
        assert response.json()["detail"].startswith("name: ")
        assert "VUPOST" not in codes(world)

    def test_missing_fields_are_all_named(self, world: World) -> None:
        response = world.post("coord", URL, json={"code": "VUPOST"})

        assert response.status_code == 422
        detail = response.json()["detail"]
        assert "name: " in detail and "country: " in detail and "kind: " in detail
