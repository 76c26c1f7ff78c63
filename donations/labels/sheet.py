"""Label sheets as PDF: A4, 3 x 7 labels of 63.5 x 38.1 mm (Avery L7160 and equivalents).

:func:`build_pdf` is pure (no database): give it :class:`LabelData` and it returns the PDF.
Positions count from 1 (top left), left to right, then down; ``start`` is the first free
position of a partly used sheet, and every further page starts at position 1.

Each label has the QR code on the left (drawn as vector rectangles, one path per code: one
rectangle per horizontal run of dark modules) and its text on the right: the grouped tag in
Courier Bold (to type when no camera works), what it is (the model and serial number, or
"Shipment" and how many items), then, at the bottom, the recipient, the donor and the
programme. Long texts wrap, then shrink, then end with an ellipsis: nothing leaves its label.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from donations.labels import qr
from donations.labels.text import Fitted, ascent_descent, fit, printable, width
from donations.tags.codes import group_tag

MM = 72 / 25.4
"""One millimetre in PDF points."""


@dataclass(frozen=True, slots=True)
class Geometry:
    """Where the labels of a sheet are (millimetres converted to points)."""

    columns: int = 3
    rows: int = 7
    label_width: float = 63.5 * MM
    label_height: float = 38.1 * MM
    top_margin: float = 15.15 * MM
    side_margin: float = 7.21 * MM
    pitch_x: float = 66.04 * MM  # label width + 2.54 mm gap
    pitch_y: float = 38.1 * MM  # no gap between rows
    page_width: float = A4[0]
    page_height: float = A4[1]

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    def origin(self, position: int) -> tuple[float, float]:
        """The bottom-left corner of the label at ``position`` (1 = top left)."""
        if not 1 <= position <= self.per_sheet:
            raise ValueError(f"position must be 1 to {self.per_sheet}, not {position}")
        row, column = divmod(position - 1, self.columns)
        x = self.side_margin + column * self.pitch_x
        y = self.page_height - self.top_margin - row * self.pitch_y - self.label_height
        return x, y


SHEET = Geometry()
"""The 21-label A4 sheet: 15.15 mm top and bottom, 7.21 mm at the sides."""
PER_SHEET = SHEET.per_sheet


@dataclass(frozen=True, slots=True)
class LabelData:
    """What one label shows. ``url`` is what its QR code encodes (see qr.tag_url)."""

    kind: Literal["item", "shipment"]
    tag: str
    url: str
    model: str | None = None
    serial: str | None = None
    recipient: str | None = None
    donor: str | None = None
    programme: str | None = None
    item_count: int | None = None


# -- layout (label coordinates in points, origin at the label's bottom left) ---------------

W = SHEET.label_width
H = SHEET.label_height
QR_SIZE = 31 * MM  # the symbol and its quiet zone
QR_X = 0.8 * MM
QR_Y = (H - QR_SIZE) / 2
TEXT_LEFT = QR_X + QR_SIZE  # the quiet zone separates the text from the symbol
TEXT_RIGHT = W - 2.5 * MM
TEXT_TOP = H - 2.6 * MM
TEXT_BOTTOM = 2.6 * MM
TEXT_WIDTH = TEXT_RIGHT - TEXT_LEFT
LEADING = 1.15
GREY = 0.38
RULE_GREY = 0.7

TAG_FONT = "Courier-Bold"
SANS = "Helvetica"
SANS_BOLD = "Helvetica-Bold"
SANS_ITALIC = "Helvetica-Oblique"
MONO = "Courier"


@dataclass(frozen=True, slots=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    font: str
    size: float
    gray: float = 0.0


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    gray: float = 0.0


@dataclass(slots=True)
class Layout:
    """Everything drawn on one label but the QR code's modules."""

    qr: Box
    texts: list[Text] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Block:
    fitted: Fitted
    gray: float = 0.0
    caption: str | None = None  # a grey word before the first line ("To", "From", "S/N")
    gap_after: float = 0.0

    @property
    def height(self) -> float:
        ascent, descent = ascent_descent(self.fitted.font, self.fitted.size)
        lines = max(len(self.fitted.lines), 1)
        return ascent + (lines - 1) * self.fitted.size * LEADING - descent


CAPTION_SIZE = 5.5


def _caption_width(caption: str | None) -> float:
    return width(caption + " ", SANS, CAPTION_SIZE) if caption else 0.0


def _block(
    text: str | None,
    *,
    font: str,
    size: float,
    min_size: float,
    max_lines: int,
    caption: str | None = None,
    gray: float = 0.0,
    gap_after: float = 0.0,
) -> _Block | None:
    value = printable(text)
    if not value:
        return None
    fitted = fit(
        value,
        font=font,
        size=size,
        min_size=min_size,
        box=TEXT_WIDTH,
        max_lines=max_lines,
        indent=_caption_width(caption),
    )
    return _Block(fitted, gray=gray, caption=caption, gap_after=gap_after)


def _place(block: _Block, top: float, layout: Layout) -> float:
    """Draw ``block`` with its top at ``top``; returns where the next block starts."""
    font, size = block.fitted.font, block.fitted.size
    ascent, descent = ascent_descent(font, size)
    baseline = top - ascent
    indent = _caption_width(block.caption)
    if block.caption:
        layout.texts.append(Text(TEXT_LEFT, baseline, block.caption, SANS, CAPTION_SIZE, GREY))
    for i, line in enumerate(block.fitted.lines):
        x = TEXT_LEFT + (indent if i == 0 else 0.0)
        layout.texts.append(Text(x, baseline - i * size * LEADING, line, font, size, block.gray))
    return top - block.height - block.gap_after


def _tag_block(tag: str, gap_after: float) -> _Block:
    grouped = group_tag(tag)
    fitted = fit(grouped, font=TAG_FONT, size=10, min_size=6, box=TEXT_WIDTH, max_lines=1)
    return _Block(fitted, gap_after=gap_after)


def _bottom_blocks(label: LabelData) -> list[_Block]:
    blocks = [
        _block(label.recipient, font=SANS_BOLD, size=7.5, min_size=5.5, max_lines=2, caption="To"),
        _block(label.donor, font=SANS, size=7, min_size=5.5, max_lines=2, caption="From"),
        _block(label.programme, font=SANS_ITALIC, size=6.5, min_size=5, max_lines=2, gray=0.2),
    ]
    present = [b for b in blocks if b is not None]
    return [
        _Block(b.fitted, b.gray, b.caption, 0.0 if i == len(present) - 1 else 1.2)
        for i, b in enumerate(present)
    ]


def _item_top(label: LabelData, layout: Layout) -> None:
    top = _place(_tag_block(label.tag, gap_after=2.0), TEXT_TOP, layout)
    layout.boxes.append(Box(TEXT_LEFT, top - 0.4, TEXT_WIDTH, 0.4, RULE_GREY))
    top -= 0.4 + 2.5
    for block in (
        _block(label.model, font=SANS_BOLD, size=8, min_size=6, max_lines=2, gap_after=1.5),
        _block(label.serial, font=MONO, size=7.5, min_size=5.5, max_lines=2, caption="S/N"),
    ):
        if block is not None:
            top = _place(block, top, layout)


def _shipment_top(label: LabelData, layout: Layout) -> None:
    band = 12.0
    layout.boxes.append(Box(TEXT_LEFT, TEXT_TOP - band, TEXT_WIDTH, band, 0.0))
    baseline = TEXT_TOP - band + 3.8
    layout.texts.append(Text(TEXT_LEFT + 2.5, baseline, "SHIPMENT", SANS_BOLD, 8, 1.0))
    if label.item_count is not None:
        count = f"{label.item_count} item{'' if label.item_count == 1 else 's'}"
        room = TEXT_WIDTH - 5.0 - width("SHIPMENT", SANS_BOLD, 8) - 4.0
        fitted = fit(count, font=SANS_BOLD, size=7, min_size=5, box=room, max_lines=1)
        line = fitted.lines[0]
        x = TEXT_RIGHT - 2.5 - width(line, SANS_BOLD, fitted.size)
        layout.texts.append(Text(x, baseline, line, SANS_BOLD, fitted.size, 1.0))
    top = _place(_tag_block(label.tag, gap_after=2.0), TEXT_TOP - band - 3.0, layout)
    hint = _block(
        "Scan on arrival to open the receiving checklist",
        font=SANS_ITALIC,
        size=6,
        min_size=5,
        max_lines=2,
        gray=GREY,
    )
    if hint is not None:
        _place(hint, top, layout)


def layout(label: LabelData) -> Layout:
    """The label's text and boxes, in points from the label's bottom-left corner."""
    result = Layout(qr=Box(QR_X, QR_Y, QR_SIZE, QR_SIZE))
    if label.kind == "shipment":
        _shipment_top(label, result)
    else:
        _item_top(label, result)
    blocks = _bottom_blocks(label)
    top = TEXT_BOTTOM + sum(b.height + b.gap_after for b in blocks)
    for block in blocks:
        top = _place(block, top, result)
    return result


# -- drawing ---------------------------------------------------------------------------


def positions(count: int, start: int = 1) -> Iterator[tuple[int, int]]:
    """``(page, position)`` of each of ``count`` labels: page 0 from ``start``, the next
    pages from position 1."""
    if not 1 <= start <= PER_SHEET:
        raise ValueError(f"start must be 1 to {PER_SHEET}, not {start}")
    for index in range(count):
        page, slot = divmod(start - 1 + index, PER_SHEET)
        yield page, slot + 1


def qr_path_ops(rows: qr.Matrix) -> str:
    """The PDF operators that fill the dark modules of ``rows`` in module units (x to the
    right, y downwards): one ``re`` per horizontal run, one ``f`` for the whole path."""
    runs = [f"{column} {row} {length} 1 re" for row, column, length in qr.dark_runs(rows)]
    return " ".join(runs) + " f"


def _draw_qr(canvas: Canvas, url: str, box: Box, x: float, y: float) -> None:
    rows = qr.matrix(url)
    module = box.width / len(rows)
    canvas.saveState()
    canvas.setFillGray(0)
    # One unit = one module, y downwards from the symbol's top-left corner. The rectangles
    # go into the page as literal operators: formatting ~250 of them through reportlab's
    # path object costs more than computing the code itself.
    canvas.translate(x + box.x, y + box.y + box.height)
    canvas.scale(module, -module)
    canvas.addLiteral(qr_path_ops(rows))
    canvas.restoreState()


def _draw_label(canvas: Canvas, label: LabelData, x: float, y: float, outline: bool) -> None:
    if outline:
        canvas.setStrokeGray(0.8)
        canvas.setLineWidth(0.3)
        canvas.roundRect(x, y, W, H, 1.5 * MM, stroke=1, fill=0)
    found = layout(label)
    _draw_qr(canvas, label.url, found.qr, x, y)
    for box in found.boxes:
        canvas.setFillGray(box.gray)
        canvas.rect(x + box.x, y + box.y, box.width, box.height, stroke=0, fill=1)
    for text in found.texts:
        canvas.setFillGray(text.gray)
        canvas.setFont(text.font, text.size)
        canvas.drawString(x + text.x, y + text.y, text.text)
    canvas.setFillGray(0)


def build_pdf(
    labels: Sequence[LabelData],
    start: int = 1,
    *,
    title: str = "Labels",
    outlines: bool = False,
) -> bytes:
    """The label sheets for ``labels``, in order, as a PDF, from position ``start``
    (1-21) of the first sheet. ``outlines`` draws each label's edge in light grey, to
    proof on plain paper. No labels give one blank page."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("Donation tracker")
    canvas.setSubject(f"{len(labels)} labels, A4 3 x 7 (63.5 x 38.1 mm)")
    current = 0
    for label, (page, position) in zip(labels, positions(len(labels), start), strict=True):
        if page != current:
            canvas.showPage()
            current = page
        x, y = SHEET.origin(position)
        _draw_label(canvas, label, x, y, outlines)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
