"""The QR code of a tag: its URL, its module matrix, and the matrix as SVG or PNG.

URL format
----------
A tag's QR code encodes ``{base_url}/T/{TAG}`` (see :func:`tag_url`), upper-cased as a
whole, e.g. ``HTTP://127.0.0.1:8000/T/7KQ29XHM3PDA``. Scheme and host names are
case-insensitive, and ``/T/{TAG}`` resolves like ``/t/{tag}`` (tags ignore case), so the
upper-cased URL opens the same page. Upper case matters for the size of the symbol: every
character is then in the QR alphanumeric set (``0-9 A-Z $%*+-./:`` and space), which costs
5.5 bits a character instead of 8 in byte mode.

When ``base_url`` has a path (``https://example.org/donations``) that path is kept as it is,
because paths are case-sensitive on most servers; only the scheme and host are upper-cased.
The symbol may then be one version larger (byte mode for that part), never wrong.

Error correction and size
-------------------------
Level **Q** (about 25 % of the codewords may be lost): labels travel on cartons by sea and
air, and get scuffed, torn at a corner or half covered by tape; Q survives that where M (15 %)
does not. What it costs is small: a 36-character URL such as the one above is version 3
(29 x 29 modules) at Q instead of 2 (25 x 25) at M, and any base URL of up to 32 characters
(``HTTPS://DONATIONS.EXAMPLE.ORG:80``) stays at version 3. On a 63.5 x 38.1 mm label a
version-3 symbol still has modules of about 0.84 mm, about three times the smallest a phone
camera reads comfortably. H (30 %) would mean version 4 for little more tolerance.

Every matrix here includes the quiet zone of :data:`BORDER` (4) light modules on each side,
as ISO/IEC 18004 requires: ``matrix(url)[r][c]`` is True for a dark module.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import qrcode
import qrcode.util
from PIL import Image
from qrcode.constants import ERROR_CORRECT_Q

from donations.tags.codes import normalize_tag

__all__ = [
    "BORDER",
    "ERROR_CORRECTION",
    "Matrix",
    "dark_runs",
    "is_alphanumeric",
    "matrix",
    "png",
    "svg",
    "tag_url",
    "version",
]

ERROR_CORRECTION = ERROR_CORRECT_Q
"""Error-correction level of every tag's QR code (see the module's docstring for why)."""

BORDER = 4
"""Quiet zone, in modules, on each side of the symbol (included in every matrix)."""

Matrix = list[list[bool]]

_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def tag_url(tag: str, base_url: str) -> str:
    """The URL a tag's QR code encodes: ``{BASE_URL}/T/{TAG}``, upper-cased.

    ``tag`` is normalised first (any accepted spelling works). See the module's docstring for
    a ``base_url`` with a path.

    Raises:
        InvalidTag: if ``tag`` is not a tag.
    """
    canonical = normalize_tag(tag)
    parts = urlsplit(base_url.strip().rstrip("/"))
    if parts.scheme and parts.netloc:
        origin = f"{parts.scheme}://{parts.netloc}".upper()
        base = origin + parts.path
    else:
        base = base_url.strip().rstrip("/").upper()
    return f"{base}/T/{canonical}"


class _QRCode(qrcode.QRCode):
    """qrcode's QRCode, choosing the same mask about five times faster.

    To choose the mask, qrcode lays the data out eight times (once per mask) and scores each
    layout with ``util.lost_point``: 90 % of the time of a code. Here the data is laid out
    once; the seven other masks are applied by XOR-ing each row (a Python int) with that
    mask's difference from mask 0 over the data modules, and the same four penalty rules as
    ``lost_point`` are counted on the row and column bit strings. The result is the mask
    qrcode itself would choose (tests/labels/test_qr.py compares both on many URLs).
    """

    def best_mask_pattern(self) -> int:
        self.makeImpl(True, 0)  # the test layout lost_point scores: format bits light
        n: int = self.modules_count
        flips = _mask_flips(self)
        base = [int("".join("1" if dark else "0" for dark in row), 2) for row in self.modules]
        best, best_points = 0, -1
        for mask in range(8):
            rows = [row ^ flip for row, flip in zip(base, flips[mask], strict=True)]
            points = _penalty(rows, n)
            if best_points < 0 or points < best_points:
                best, best_points = mask, points
        return best


_RUN = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = ("10111010000", "00001011101")
_flips_by_version: dict[int, list[list[int]]] = {}


def _mask_flips(code: _QRCode) -> list[list[int]]:
    """For each mask, the modules (row bit masks, leftmost column = highest bit) where it
    differs from mask 0 on the data modules of this version."""
    version: int = code.version
    if version not in _flips_by_version:
        n: int = code.modules_count
        laid_out = code.modules
        # The function patterns, as makeImpl sets them up: what stays None is data.
        code.modules = [[None] * n for _ in range(n)]
        code.setup_position_probe_pattern(0, 0)
        code.setup_position_probe_pattern(n - 7, 0)
        code.setup_position_probe_pattern(0, n - 7)
        code.setup_position_adjust_pattern()
        code.setup_timing_pattern()
        code.setup_type_info(True, 0)
        if version >= 7:
            code.setup_type_number(True)
        blank = code.modules
        code.modules = laid_out
        functions = [qrcode.util.mask_func(mask) for mask in range(8)]
        flips = []
        for mask_func in functions:
            rows = []
            for i in range(n):
                bits = 0
                for j in range(n):
                    bits <<= 1
                    if blank[i][j] is None and mask_func(i, j) != functions[0](i, j):
                        bits |= 1
                rows.append(bits)
            flips.append(rows)
        _flips_by_version[version] = flips
    return _flips_by_version[version]


def _penalty(rows: list[int], n: int) -> int:
    """qrcode's ``util.lost_point`` of the matrix whose rows are these bit masks."""
    form = f"0{n}b"
    lines = [format(row, form) for row in rows]
    lines += ["".join(column) for column in zip(*lines, strict=True)]
    text = "|".join(lines)  # one string, so that C does the scanning
    runs = _RUN.findall(text)  # runs of 5 or more: 3 points, +1 per extra module
    points = sum(map(len, runs)) - 2 * len(runs)
    points += 40 * (text.count(_FINDER_LIKE[0]) + text.count(_FINDER_LIKE[1]))
    within = (1 << (n - 1)) - 1
    for upper, lower in zip(rows, rows[1:], strict=False):  # 2 x 2 blocks of one colour
        same = ~(upper ^ lower)
        points += 3 * (same & (same >> 1) & ~(upper ^ (upper >> 1)) & within).bit_count()
    dark = sum(row.bit_count() for row in rows)
    points += int(abs(float(dark) / (n * n) * 100 - 50) / 5) * 10
    return points


def _code(url: str) -> _QRCode:
    code = _QRCode(version=None, error_correction=ERROR_CORRECTION, border=BORDER)
    # An all-alphanumeric URL becomes one alphanumeric segment; anything else is split
    # into alphanumeric and byte segments by qrcode's optimiser.
    code.add_data(url)
    code.make(fit=True)
    return code


def is_alphanumeric(url: str) -> bool:
    """Whether the whole URL fits the QR alphanumeric mode (the smallest symbol)."""
    return all(ch in _ALPHANUMERIC for ch in url)


def matrix(url: str) -> Matrix:
    """The module matrix of the QR code of ``url``, quiet zone included: a square list of
    rows, True for a dark module. Its side is ``4 * version + 17 + 2 * BORDER``."""
    rows: Matrix = _code(url).get_matrix()
    return rows


def version(url: str) -> int:
    """The QR version (1-40) that ``url`` needs: the symbol has ``4 * version + 17``
    modules a side, without the quiet zone."""
    return int(_code(url).version)


def dark_runs(rows: Matrix) -> Iterator[tuple[int, int, int]]:
    """The dark modules as horizontal runs ``(row, column, length)``, top to bottom, left
    to right: one rectangle per run instead of one per module draws a symbol 2-3 times
    faster and smaller (in SVG and in PDF)."""
    for r, row in enumerate(rows):
        c = 0
        n = len(row)
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                yield r, start, c - start
            else:
                c += 1


def svg(url: str, *, module_px: int = 8) -> str:
    """The QR code of ``url`` as a compact SVG document: a white square (the quiet zone
    must stay light on a dark page) and one ``<path>`` of the dark modules, in module units
    (``viewBox``), displayed at ``module_px`` pixels a module by default. No bitmap."""
    rows = matrix(url)
    n = len(rows)
    d = "".join(f"M{c} {r}h{length}v1h-{length}z" for r, c, length in dark_runs(rows))
    size = n * module_px
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {n} {n}" shape-rendering="crispEdges">'
        f'<rect width="{n}" height="{n}" fill="#fff"/>'
        f'<path fill="#000" d="{d}"/>'
        "</svg>"
    )


def png(url: str, *, scale: int = 8) -> bytes:
    """The QR code of ``url`` as a 1-bit PNG, ``scale`` pixels a module, quiet zone
    included."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    rows = matrix(url)
    n = len(rows)
    image = Image.new("1", (n, n), 1)
    image.putdata([0 if dark else 1 for row in rows for dark in row])
    if scale > 1:
        image = image.resize((n * scale, n * scale), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
