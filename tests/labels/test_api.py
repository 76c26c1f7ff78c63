"""The QR and label-sheet endpoints: formats, scoping, selection and start position."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from donations.labels import sheet
from tests.factories import World, shipped
from tests.labels.helpers import decode_sheets

BASE = "HTTP://TESTSERVER"  # the test settings' base_url, upper-cased


def url_of(tag: str) -> str:
    return f"{BASE}/T/{tag}"


def labels(world: World, who: str | None, shipment_id: int, **params: Any) -> Any:
    return world.get(who, f"/api/v1/shipments/{shipment_id}/labels.pdf", params=params)


class TestQrSvg:
    def test_answers_one_path_for_the_tag(self, world: World) -> None:
        _, _, items = shipped(world)
        response = world.get("korea", f"/api/v1/tags/{items[0]['tag'].lower()}/qr.svg")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/svg+xml"
        assert response.headers["cache-control"] == "private, max-age=86400"
        root = ET.fromstring(response.text)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.get("viewBox") == "0 0 37 37"
        assert len(root.findall("{http://www.w3.org/2000/svg}path")) == 1

    def test_refuses_a_malformed_tag(self, world: World) -> None:
        response = world.get("korea", "/api/v1/tags/NOT-A-TAG/qr.svg")
        assert response.status_code == 422
        assert "tag" in response.json()["detail"]

    def test_unknown_tag_is_not_found(self, world: World) -> None:
        assert world.get("coord", "/api/v1/tags/7KQ2-9XHM-3PDA/qr.svg").status_code == 404


class TestQrPng:
    def test_decodes_to_the_upper_cased_url(self, world: World) -> None:
        _, s, items = shipped(world)
        for tag in (items[0]["tag"], s["tag"]):
            response = world.get("coord", f"/api/v1/tags/{tag}/qr.png", params={"scale": 4})
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "image/png"
            assert response.headers["cache-control"] == "private, max-age=86400"
            image = Image.open(io.BytesIO(response.content))
            assert image.size == (37 * 4, 37 * 4)
            (code,) = zxingcpp.read_barcodes(image)
            assert code.text == url_of(tag)

    def test_refuses_a_scale_out_of_range(self, world: World) -> None:
        _, _, items = shipped(world)
        url = f"/api/v1/tags/{items[0]['tag']}/qr.png"
        assert world.get("coord", url, params={"scale": 0}).status_code == 422


class TestQrScope:
    @pytest.mark.parametrize(
        ("who", "status"),
        [
            (None, 401),
            ("fiji", 404),
            ("japan", 404),
            ("tonga", 200),
            ("korea", 200),
            ("coord", 200),
        ],
    )
    @pytest.mark.parametrize("kind", ["item", "shipment"])
    @pytest.mark.parametrize("ext", ["svg", "png"])
    def test_after_dispatch(
        self, world: World, who: str | None, status: int, kind: str, ext: str
    ) -> None:
        _, s, items = shipped(world)
        tag = items[0]["tag"] if kind == "item" else s["tag"]
        response = world.get(who, f"/api/v1/tags/{tag}/qr.{ext}")
        assert response.status_code == status, response.text
        if status == 404:  # the same answer as for a tag that does not exist
            assert response.json()["detail"] == f"no item or shipment with tag {tag}"

    def test_the_recipient_sees_nothing_before_dispatch(self, world: World) -> None:
        _, s, items = shipped(world, dispatch=False)
        for tag in (items[0]["tag"], s["tag"]):
            assert world.get("tonga", f"/api/v1/tags/{tag}/qr.svg").status_code == 404


class TestLabelsPdf:
    def test_prints_the_shipment_then_every_item(self, world: World) -> None:
        _, s, items = shipped(world, quantity=6, packed=5)
        response = labels(world, "korea", s["id"])
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert (
            response.headers["content-disposition"]
            == f'inline; filename="shipment-{s["id"]}-labels.pdf"'
        )
        decoded = decode_sheets(response.content)
        expected = [s["tag"]] + [i["tag"] for i in items]
        assert sorted((d.page, d.position, d.text) for d in decoded) == [
            (0, n + 1, url_of(tag)) for n, tag in enumerate(expected)
        ]

    def test_starts_at_a_position_of_a_partly_used_sheet(self, world: World) -> None:
        _, s, items = shipped(world, quantity=20, packed=20)
        decoded = decode_sheets(labels(world, "coord", s["id"], start=8).content)
        assert len(decoded) == 21
        where = {d.text: (d.page, d.position) for d in decoded}
        expected = [s["tag"]] + [i["tag"] for i in items]
        placed = list(sheet.positions(21, 8))
        assert {url_of(tag): place for tag, place in zip(expected, placed, strict=True)} == where

    def test_prints_a_selection_without_the_shipment_label(self, world: World) -> None:
        _, s, items = shipped(world)
        chosen = [items[3], items[1]]
        response = labels(world, "korea", s["id"], items=f"{chosen[0]['id']}, {chosen[1]['id']}")
        assert response.status_code == 200, response.text
        decoded = decode_sheets(response.content)
        assert sorted((d.position, d.text) for d in decoded) == [
            (1, url_of(chosen[0]["tag"])),
            (2, url_of(chosen[1]["tag"])),
        ]

    def test_prints_the_shipment_label_with_a_selection_when_asked(self, world: World) -> None:
        _, s, items = shipped(world)
        response = labels(world, "korea", s["id"], items=str(items[0]["id"]), shipment=1)
        texts = {d.text for d in decode_sheets(response.content)}
        assert texts == {url_of(s["tag"]), url_of(items[0]["tag"])}

    def test_leaves_the_shipment_label_out_when_asked(self, world: World) -> None:
        _, s, items = shipped(world, packed=2)
        texts = {d.text for d in decode_sheets(labels(world, "korea", s["id"], shipment=0).content)}
        assert texts == {url_of(i["tag"]) for i in items}

    def test_names_an_item_not_in_the_shipment(self, world: World) -> None:
        _, s, items = shipped(world)
        response = labels(world, "korea", s["id"], items=f"{items[0]['id']},99999")
        assert response.status_code == 422
        assert "item 99999 is not in shipment" in response.json()["detail"]

    @pytest.mark.parametrize("raw", ["abc", "1,-2", ",", ""])
    def test_refuses_a_malformed_selection(self, world: World, raw: str) -> None:
        _, s, _ = shipped(world)
        response = labels(world, "korea", s["id"], items=raw)
        assert response.status_code == 422
        assert response.json()["detail"].startswith("items:")

    @pytest.mark.parametrize("start", [0, 22, "x"])
    def test_refuses_a_start_off_the_sheet(self, world: World, start: Any) -> None:
        _, s, _ = shipped(world)
        response = labels(world, "korea", s["id"], start=start)
        assert response.status_code == 422
        assert "start" in response.json()["detail"]

    @pytest.mark.parametrize(
        ("who", "status"),
        [(None, 401), ("tonga", 403), ("fiji", 404), ("japan", 404), ("korea", 200)],
    )
    def test_scope(self, world: World, who: str | None, status: int) -> None:
        _, s, _ = shipped(world)
        assert labels(world, who, s["id"]).status_code == status

    def test_a_draft_can_be_printed_before_dispatch(self, world: World) -> None:
        _, s, items = shipped(world, packed=3, dispatch=False)
        assert len(decode_sheets(labels(world, "korea", s["id"]).content)) == 4
        assert labels(world, "tonga", s["id"]).status_code == 404

    def test_unknown_shipment_is_not_found(self, world: World) -> None:
        assert labels(world, "coord", 99999).status_code == 404


class TestOpenApi:
    def test_every_label_route_is_named_and_described(self, world: World) -> None:
        app: Any = world.client.app
        assert app.url_path_for("api:tags:qr_svg", tag="T") == "/api/v1/tags/T/qr.svg"
        assert app.url_path_for("api:tags:qr_png", tag="T") == "/api/v1/tags/T/qr.png"
        assert (
            app.url_path_for("api:shipments:labels_pdf", shipment_id="5")
            == "/api/v1/shipments/5/labels.pdf"
        )
        spec = world.client.get("/openapi.json").json()
        for path in (
            "/api/v1/tags/{tag}/qr.svg",
            "/api/v1/tags/{tag}/qr.png",
            "/api/v1/shipments/{shipment_id}/labels.pdf",
        ):
            operation = spec["paths"][path]["get"]
            assert operation["description"].strip()
            assert "labels" in operation["tags"]


class TestScannedUrlOpensThePage:
    def test_the_decoded_url_opens_the_tag_page(self, world: World) -> None:
        _, s, items = shipped(world, packed=1)
        decoded = decode_sheets(labels(world, "korea", s["id"]).content)
        assert len(decoded) == 2
        for code in decoded:
            path = code.text.removeprefix(BASE)
            assert path.startswith("/T/")
            response = world.client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            assert code.text.rsplit("/", 1)[1] in response.text.replace("-", "")
