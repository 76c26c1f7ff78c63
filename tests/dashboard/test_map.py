"""The programme map: land, posts, routes by status, distances, and a Pacific in one piece."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from geopy.distance import geodesic

from donations.dashboard import geometry
from donations.dashboard.geometry import PROJECTION
from donations.dashboard.topojson import polygons
from donations.db import Database
from tests.dashboard.helpers import demo_coordinator, path_points, svg

SEOUL = (37.5665, 126.9780)
NUKUALOFA = (-21.1393, -175.2049)
APIA = (-13.8507, -171.7514)
SUVA = (-18.1405, 178.4233)
FUNAFUTI = (-8.5211, 179.1962)
TARAWA = (1.3290, 172.9770)


@pytest.fixture
def page(app: FastAPI, db: Database) -> str:
    answer = demo_coordinator(app).get("/dashboard")
    assert answer.status_code == 200
    return answer.text


class TestMapOnThePage:
    def test_is_an_accessible_svg_with_land(self, page: str) -> None:
        drawing = svg(page)
        assert 'role="img"' in drawing
        assert 'aria-labelledby="map-svg-title map-svg-desc"' in drawing
        assert '<title id="map-svg-title">' in drawing
        land = re.search(r'<path class="land" d="([^"]+)"', drawing)
        assert land is not None
        assert len(path_points(land[1])) > 50  # many islands and coasts
        # Small: 0.1 precision, only the land in the window.
        assert len(land[1]) < 60_000

    def test_one_route_per_demo_shipment_coloured_by_status(self, page: str) -> None:
        routes = re.findall(
            r'<path class="route route-(\w+)" d="([^"]+)"><title>([^<]+)', svg(page)
        )
        by_status = {status: title for status, _, title in routes}
        # Tonga closed (one unit missing), Fiji overdue, Nauru received, Samoa on its way,
        # Vanuatu being packed.
        assert sorted(by_status) == ["closed", "dispatched", "draft", "overdue", "received"]
        assert len(routes) == 5
        assert "Nuku&#39;alofa" in by_status["closed"]
        assert "Suva" in by_status["overdue"]
        assert "Yaren" in by_status["received"]
        assert "Apia" in by_status["dispatched"]
        assert "Port Vila" in by_status["draft"]
        # A route is a link to its shipment.
        assert len(re.findall(r'<a href="/t/[0-9A-Z]{12}">\s*<path class="route', page)) == 5

    def test_posts_are_marked_and_labelled(self, page: str) -> None:
        drawing = svg(page)
        assert drawing.count('<g class="post post-recipient">') == 9
        assert drawing.count('<g class="post post-donor">') == 1
        for city in ("Seoul", "Suva", "Apia", "Funafuti", "South Tarawa", "Yaren", "Honiara"):
            assert re.search(rf"<text [^>]*>{city}</text>", drawing), city
        assert "<title>Post Fiji · Suva, Fiji</title>" in drawing

    def test_distance_seoul_nukualofa_in_km(self, page: str) -> None:
        km = geodesic(SEOUL, NUKUALOFA).km
        # The WGS 84 geodesic (8,878 km; the great circle on a sphere gives 8,894 km).
        assert 8_850 < km < 8_900
        row = re.search(
            r"<tr>\s*<td><span class=\"dash-route-name\">Seoul → Nuku&#39;alofa.*?</tr>", page, re.S
        )
        assert row is not None
        assert f"{round(km):,} km" in row[0]

    def test_routes_table_lists_every_route(self, page: str) -> None:
        table = re.search(r'<table class="dash-routes".*?</table>', page, re.S)
        assert table is not None
        assert table[0].count('<span class="dash-route-name">') == 5


class TestPacificInOnePiece:
    def test_pacific_posts_are_inside_the_window(self) -> None:
        for lat, lon in (SUVA, APIA, NUKUALOFA, FUNAFUTI, TARAWA, SEOUL):
            x, y = PROJECTION.point(lon, lat)
            assert PROJECTION.contains(x, y), (lat, lon)
        # Both sides of 180° sit next to each other, not at the two edges of the map.
        west, _ = PROJECTION.point(179.99, -17.0)
        east, _ = PROJECTION.point(-179.99, -17.0)
        assert 0 < east - west < 1

    @pytest.mark.parametrize("destination", [APIA, NUKUALOFA, SUVA, FUNAFUTI])
    def test_routes_across_180_are_continuous(self, destination: tuple[float, float]) -> None:
        points = geometry.project_route(geometry.great_circle(SEOUL, destination))
        assert all(PROJECTION.contains(x, y) for x, y in points)
        steps = [abs(b[0] - a[0]) for a, b in zip(points, points[1:], strict=False)]
        assert max(steps) < PROJECTION.width / 4
        assert points[-1][0] > points[0][0]  # drawn eastwards, through the Pacific

    def test_a_route_from_suva_to_apia_crosses_180_without_a_jump(self) -> None:
        points = geometry.great_circle(SUVA, APIA)
        lons = [lon for lon, _ in points]
        assert lons[0] == pytest.approx(178.4233)
        assert lons[-1] == pytest.approx(360 - 171.7514)  # unwrapped, not -171.75
        projected = geometry.project_route(points)
        assert max(abs(b[0] - a[0]) for a, b in zip(projected, projected[1:], strict=False)) < 5

    def test_no_land_outline_spans_the_map(self) -> None:
        """A polygon cut badly at the seam would draw a line across the whole map."""
        for ring in path_points(geometry.land_path()):
            steps = [abs(b[0] - a[0]) for a, b in zip(ring, ring[1:], strict=False)]
            assert not steps or max(steps) < PROJECTION.width / 4
            assert all(-0.1 <= x <= PROJECTION.width + 0.1 for x, _ in ring)

    def test_fiji_is_drawn(self) -> None:
        x, y = PROJECTION.point(178.0, -17.8)  # Viti Levu
        near = [
            ring
            for ring in path_points(geometry.land_path())
            if any(abs(px - x) < 8 and abs(py - y) < 8 for px, py in ring)
        ]
        assert near


class TestGeometry:
    def test_relative_longitude(self) -> None:
        assert geometry.relative_longitude(165.0) == 0
        assert geometry.relative_longitude(-171.75) == pytest.approx(23.25)
        assert geometry.relative_longitude(126.978) == pytest.approx(-38.022)
        assert geometry.relative_longitude(-15.0) == -180  # the seam, far outside the window

    def test_topojson_decoding(self) -> None:
        topology = {
            "type": "Topology",
            "transform": {"scale": [0.5, 0.5], "translate": [10, 20]},
            "arcs": [[[0, 0], [2, 0], [0, 2]], [[2, 2], [-2, 0], [0, -2]]],
            "objects": {
                "land": {
                    "type": "GeometryCollection",
                    "geometries": [
                        {"type": "Polygon", "arcs": [[0, 1]]},
                        {"type": "MultiPolygon", "arcs": [[[~1, ~0]]]},
                    ],
                }
            },
        }
        first, second = polygons(topology, "land")
        assert first == [[(10, 20), (11, 20), (11, 21), (10, 21), (10, 20)]]
        assert second == [[(10, 20), (10, 21), (11, 21), (11, 20), (10, 20)]]

    def test_clipping_keeps_what_is_inside(self) -> None:
        square = [(-5.0, -5.0), (5.0, -5.0), (5.0, 5.0), (-5.0, 5.0)]
        clipped = geometry._clip(square, ((0, 0.0, False), (1, 0.0, False)))
        assert sorted(clipped) == [(0.0, 0.0), (0.0, 5.0), (5.0, 0.0), (5.0, 5.0)]

    def test_path_data_is_compact(self) -> None:
        assert geometry.path_data([[(1.04, 2.0), (3.0, 2.55), (0.0, 0.0)]]) == "M1,2l2,0.6 -3,-2.6z"

    def test_land_is_projected_once(self) -> None:
        assert geometry.land_path() is geometry.land_path()
