"""The QR code of a tag: URL format, matrix, SVG and PNG (no database)."""

from __future__ import annotations

import io
import random
import re
import xml.etree.ElementTree as ET

import pytest
import qrcode
import zxingcpp
from PIL import Image

from donations.labels import qr
from donations.tags import InvalidTag, new_tag

BASE = "http://127.0.0.1:8000"
SVG_NS = "{http://www.w3.org/2000/svg}"


class TestTagUrl:
    def test_upper_cases_the_whole_url(self) -> None:
        assert qr.tag_url("7kq2-9xhm-3pda", BASE + "/") == "HTTP://127.0.0.1:8000/T/7KQ29XHM3PDA"

    def test_the_url_is_alphanumeric_and_small(self) -> None:
        url = qr.tag_url(new_tag(), BASE)
        assert qr.is_alphanumeric(url)
        assert qr.version(url) == 3  # 29 x 29 modules at level Q

    def test_a_public_host_of_32_characters_stays_at_version_3(self) -> None:
        assert qr.version(qr.tag_url(new_tag(), "https://donations.example.org:80")) == 3

    def test_keeps_the_case_of_a_base_path(self) -> None:
        url = qr.tag_url("7KQ29XHM3PDA", "https://Example.org/Donations/")
        assert url == "HTTPS://EXAMPLE.ORG/Donations/T/7KQ29XHM3PDA"

    def test_refuses_a_bad_tag(self) -> None:
        with pytest.raises(InvalidTag):
            qr.tag_url("7KQ2-9XHM", BASE)


class TestMatrix:
    def test_is_square_with_a_light_quiet_zone(self) -> None:
        url = qr.tag_url(new_tag(), BASE)
        rows = qr.matrix(url)
        side = 4 * qr.version(url) + 17 + 2 * qr.BORDER
        assert len(rows) == side and all(len(row) == side for row in rows)
        border = rows[: qr.BORDER] + rows[-qr.BORDER :]
        assert not any(any(row) for row in border)
        assert not any(any(row[: qr.BORDER] + row[-qr.BORDER :]) for row in rows)

    def test_chooses_the_mask_qrcode_chooses(self) -> None:
        rng = random.Random(7)
        bases = [BASE, "https://donations.example.org", "https://example.org/a/b"]
        for _ in range(150):
            base = rng.choice(bases) + "x" * rng.choice((0, 0, 40, 150))
            url = qr.tag_url(new_tag(), base)
            reference = qrcode.QRCode(error_correction=qr.ERROR_CORRECTION, border=qr.BORDER)
            reference.add_data(url)
            reference.make(fit=True)
            assert qr.matrix(url) == reference.get_matrix(), url

    def test_dark_runs_cover_exactly_the_dark_modules(self) -> None:
        rows = qr.matrix(qr.tag_url(new_tag(), BASE))
        rebuilt = [[False] * len(rows) for _ in rows]
        for r, c, length in qr.dark_runs(rows):
            for i in range(c, c + length):
                rebuilt[r][i] = True
        assert rebuilt == rows


def _svg_matrix(document: str) -> list[list[bool]]:
    root = ET.fromstring(document)
    n = int(root.get("viewBox", "").split()[2])
    paths = root.findall(f"{SVG_NS}path")
    assert len(paths) == 1
    rows = [[False] * n for _ in range(n)]
    for c, r, length in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", paths[0].get("d", "")):
        for i in range(int(c), int(c) + int(length)):
            rows[int(r)][i] = True
    return rows


class TestSvg:
    def test_is_one_path_of_the_matrix(self) -> None:
        url = qr.tag_url(new_tag(), BASE)
        document = qr.svg(url)
        root = ET.fromstring(document)
        assert root.tag == f"{SVG_NS}svg"
        assert root.get("viewBox") == "0 0 37 37"
        assert root.get("width") == root.get("height") == str(37 * 8)
        assert root.find(f"{SVG_NS}image") is None
        assert _svg_matrix(document) == qr.matrix(url)


class TestPng:
    def test_decodes_to_the_url_at_level_q(self) -> None:
        url = qr.tag_url(new_tag(), BASE)
        image = Image.open(io.BytesIO(qr.png(url, scale=4)))
        assert image.size == (37 * 4, 37 * 4)
        (code,) = zxingcpp.read_barcodes(image)
        assert code.text == url
        assert str(code.ec_level) == "Q"

    def test_refuses_a_scale_below_one(self) -> None:
        with pytest.raises(ValueError):
            qr.png(qr.tag_url(new_tag(), BASE), scale=0)
