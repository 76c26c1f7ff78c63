"""Reading label sheets back: render a PDF with PDFium and decode its QR codes with zxing."""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image

from donations.labels.sheet import PER_SHEET, SHEET

DPI = 150


@dataclass(frozen=True)
class Decoded:
    page: int  # 0-based
    position: int  # 1-21, or 0 when the code is in no label
    text: str
    ec_level: str


def render(pdf: bytes, dpi: int = DPI) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil() for page in document]
    finally:
        document.close()


def position_at(x: float, y: float) -> int:
    """The label position (1-21) containing the point (x, y) in PDF points, else 0."""
    for position in range(1, PER_SHEET + 1):
        left, bottom = SHEET.origin(position)
        if left <= x <= left + SHEET.label_width and bottom <= y <= bottom + SHEET.label_height:
            return position
    return 0


QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def decode_image(image: Image.Image) -> list[zxingcpp.Barcode]:
    return list(zxingcpp.read_barcodes(image, formats=QR_ONLY))


def decode_sheets(pdf: bytes, dpi: int = DPI) -> list[Decoded]:
    """Every QR code on every page, with the label position its centre lies in."""
    found = []
    for page, image in enumerate(render(pdf, dpi)):
        for code in decode_image(image):
            p = code.position
            corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
            cx = sum(c.x for c in corners) / 4 * 72 / dpi
            cy = SHEET.page_height - sum(c.y for c in corners) / 4 * 72 / dpi
            found.append(Decoded(page, position_at(cx, cy), code.text, str(code.ec_level)))
    return found


def char_boxes(pdf: bytes) -> list[list[tuple[str, tuple[float, float, float, float]]]]:
    """Per page, each character drawn and its box (left, bottom, right, top) in points."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for page in document:
            text = page.get_textpage()
            chars = []
            for i in range(text.count_chars()):
                ch = text.get_text_range(i, 1)
                if ch.strip():
                    chars.append((ch, text.get_charbox(i)))
            pages.append(chars)
    finally:
        document.close()
    return pages
