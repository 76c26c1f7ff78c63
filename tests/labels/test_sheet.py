"""Label sheets built from LabelData alone (no database), read back with PDFium and zxing."""

from __future__ import annotations

from typing import Any

import pytest

from donations.labels import qr, sheet
from donations.labels.sheet import MM, PER_SHEET, SHEET, LabelData, build_pdf
from donations.labels.text import ascent_descent, width, wrap
from donations.tags import new_tag
from tests.labels.helpers import char_boxes, decode_sheets, render

BASE = "http://127.0.0.1:8000"
PROGRAMME = "UPU South-South and Triangular Cooperation - Pacific"
LONG_MODEL = (
    "Samsung DM500TFA-A58A Refurbished Energy-Efficient Small-Form-Factor Desktop Computer "
    "with 21.5-inch LED Monitor, Keyboard and Mouse, AS/NZS Type I Power Supply"
)
LONG_PROGRAMME = (
    "Japan Special Fund for Postal Development in the Pacific Small Island Developing States "
    "(Phase II) - UPU South-South and Triangular Cooperation, Information and Communication "
    "Technologies for Rural Post Offices"
)
LONG_WORD = "X" * 180  # no space to break at


def item(model: str = "Samsung DM500TFA", **extra: str) -> LabelData:
    tag = new_tag()
    fields: dict[str, Any] = {
        "serial": "0FK3X9ABT123456",
        "recipient": "Tonga Post",
        "donor": "Korea Post",
        "programme": PROGRAMME,
    } | extra
    return LabelData(kind="item", tag=tag, url=qr.tag_url(tag, BASE), model=model, **fields)


def shipment_label(item_count: int, **extra: str) -> LabelData:
    tag = new_tag()
    fields: dict[str, Any] = {
        "recipient": "Tonga Post",
        "donor": "Korea Post",
        "programme": PROGRAMME,
    } | extra
    return LabelData(
        kind="shipment", tag=tag, url=qr.tag_url(tag, BASE), item_count=item_count, **fields
    )


def long_labels() -> list[LabelData]:
    huge = {
        "serial": "SN-" + "0123456789" * 10,
        "recipient": "Universal Postal Union International Bureau, Directorate of Cooperation",
        "donor": "Korea Post - International Cooperation and Postal Development Division",
        "programme": LONG_PROGRAMME,
    }
    return [
        shipment_label(12345, **huge),
        item(LONG_MODEL, **huge),
        item(LONG_WORD, **huge | {"programme": LONG_WORD, "recipient": LONG_WORD}),
        item("Ünïcødé 컴퓨터 Máy tính ½ – “quoted”", recipient="Tōngā Pōst ✓"),
    ]


class TestGeometry:
    def test_matches_the_21_label_a4_sheet(self) -> None:
        assert PER_SHEET == 21
        left, bottom = SHEET.origin(1)
        assert left == pytest.approx(7.21 * MM)
        assert SHEET.page_height - (bottom + SHEET.label_height) == pytest.approx(15.15 * MM)
        right, last_bottom = SHEET.origin(21)
        assert SHEET.page_width - (right + SHEET.label_width) == pytest.approx(7.21 * MM, abs=0.01)
        assert last_bottom == pytest.approx(15.15 * MM, abs=0.01)
        assert SHEET.origin(2)[0] - left == pytest.approx(66.04 * MM)
        assert bottom - SHEET.origin(4)[1] == pytest.approx(38.1 * MM)

    def test_positions_count_left_to_right_then_down(self) -> None:
        assert SHEET.origin(2)[1] == SHEET.origin(1)[1] > SHEET.origin(4)[1]
        assert SHEET.origin(3)[0] > SHEET.origin(2)[0] > SHEET.origin(1)[0] == SHEET.origin(4)[0]

    def test_start_fills_the_first_page_then_starts_at_1(self) -> None:
        placed = list(sheet.positions(16, start=8))
        assert placed[0] == (0, 8) and placed[13] == (0, 21) and placed[14] == (1, 1)

    @pytest.mark.parametrize("start", [0, 22])
    def test_refuses_a_start_off_the_sheet(self, start: int) -> None:
        with pytest.raises(ValueError):
            build_pdf([item()], start)


class TestSheetScans:
    def test_every_code_of_a_partly_used_sheet_decodes_at_its_position(self) -> None:
        labels = [shipment_label(49)] + [item() for _ in range(49)]
        pdf = build_pdf(labels, start=8)
        decoded = decode_sheets(pdf)
        expected = {
            (page, position, label.url)
            for label, (page, position) in zip(labels, sheet.positions(50, 8), strict=True)
        }
        assert len(render(pdf)) == 3  # 14 + 21 + 15
        assert len(decoded) == len(labels)
        assert {(d.page, d.position, d.text) for d in decoded} == expected
        assert {d.ec_level for d in decoded} == {"Q"}

    def test_codes_next_to_very_long_texts_decode(self) -> None:
        labels = long_labels() * 6
        decoded = decode_sheets(build_pdf(labels))
        assert sorted(d.text for d in decoded) == sorted(label.url for label in labels)

    def test_no_labels_give_a_blank_page(self) -> None:
        assert len(render(build_pdf([]))) == 1


def _inside(box: tuple[float, float, float, float], left: float, bottom: float) -> bool:
    x0, y0, x1, y1 = box
    slack = 0.5
    return (
        left - slack <= x0
        and x1 <= left + SHEET.label_width + slack
        and bottom - slack <= y0
        and y1 <= bottom + SHEET.label_height + slack
    )


def assert_texts_apart(label: LabelData) -> None:
    """No two texts of the label's layout overlap."""
    boxes = []
    for text in sheet.layout(label).texts:
        ascent, descent = ascent_descent(text.font, text.size)
        right = text.x + width(text.text, text.font, text.size)
        boxes.append((text.x, text.y + descent, right, text.y + ascent, text.text))
    for i, (x0, y0, x1, y1, a) in enumerate(boxes):
        for u0, v0, u1, v1, b in boxes[i + 1 :]:
            apart = x1 <= u0 or u1 <= x0 or y1 <= v0 + 0.01 or v1 <= y0 + 0.01
            assert apart, (a, b)


class TestTextFits:
    @pytest.mark.parametrize("index", range(4))
    def test_every_line_stays_in_the_text_box(self, index: int) -> None:
        label = long_labels()[index]
        found = sheet.layout(label)
        assert found.texts
        for text in found.texts:
            ascent, descent = ascent_descent(text.font, text.size)
            assert text.x >= sheet.TEXT_LEFT - 0.01, text
            assert text.x + width(text.text, text.font, text.size) <= sheet.TEXT_RIGHT + 0.01
            assert text.y + descent >= sheet.TEXT_BOTTOM - 0.01, text
            assert text.y + ascent <= sheet.TEXT_TOP + 0.01, text
        assert found.qr.x + found.qr.width <= sheet.TEXT_LEFT  # clear of the quiet zone

    def test_the_tallest_texts_still_fit(self) -> None:
        # Each text just fills its two lines at its largest size: the tallest label.
        def two_lines(font: str, size: float, caption: str | None = None) -> str:
            indent = width(caption + " ", "Helvetica", sheet.CAPTION_SIZE) if caption else 0
            words: list[str] = []
            while (
                len(wrap(" ".join([*words, "Wxyz"]), font, size, sheet.TEXT_WIDTH, indent=indent))
                <= 2
            ):
                words.append("Wxyz")
            return " ".join(words)

        label = item(
            two_lines("Helvetica-Bold", 8),
            serial=two_lines("Courier", 7.5, "S/N"),
            recipient=two_lines("Helvetica-Bold", 7.5, "To"),
            donor=two_lines("Helvetica", 7, "From"),
            programme=two_lines("Helvetica-Oblique", 6.5),
        )
        found = sheet.layout(label)
        assert len(found.texts) == 1 + 2 + 3 + 3 + 3 + 2  # tag, model, S/N, To, From, programme
        assert {t.size for t in found.texts if t.font == "Helvetica-Bold"} == {8, 7.5}
        assert_texts_apart(label)
        for text in found.texts:
            _, descent = ascent_descent(text.font, text.size)
            assert text.y + descent >= sheet.TEXT_BOTTOM - 0.01, text

    def test_texts_do_not_overlap(self) -> None:
        for label in long_labels():
            assert_texts_apart(label)

    def test_long_texts_are_shortened_with_an_ellipsis(self) -> None:
        texts = [t.text for t in sheet.layout(long_labels()[1]).texts]
        assert any(t.endswith("\u2026") for t in texts)
        assert texts[0].count("-") == 2  # the grouped tag comes first, whole

    def test_every_character_drawn_is_inside_its_label(self) -> None:
        labels = long_labels() * 6  # 24: two pages
        pdf = build_pdf(labels, start=3)
        pages = char_boxes(pdf)
        placed = list(sheet.positions(len(labels), 3))
        for page, chars in enumerate(pages):
            boxes = [SHEET.origin(pos) for p, pos in placed if p == page]
            assert chars
            for ch, box in chars:
                assert any(_inside(box, left, bottom) for left, bottom in boxes), (ch, box)

    def test_the_grouped_tag_is_printed_in_courier(self) -> None:
        label = item()
        tag_text = sheet.layout(label).texts[0]
        assert tag_text.font == "Courier-Bold"
        assert tag_text.text == f"{label.tag[:4]}-{label.tag[4:8]}-{label.tag[8:]}"
        assert tag_text.size >= 9
