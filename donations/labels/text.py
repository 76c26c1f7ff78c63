"""Fitting text into a box with reportlab's built-in fonts: wrap, shrink, then ellipsis.

Only the 14 standard PDF fonts are used (Helvetica, Courier), so nothing is embedded and the
PDF stays small; they cover Windows-1252 (Western European) only, so :func:`printable`
replaces what they cannot show (accents are stripped where that helps, anything else
becomes ``?``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth

ELLIPSIS = "\u2026"
_STEP = 0.5  # points between two font sizes tried
_SUBSTITUTES = {"\u2044": "/", "\u2010": "-", "\u2011": "-", "\u2212": "-"}


@dataclass(frozen=True, slots=True)
class Fitted:
    """Lines of one text at the font size that made them fit."""

    lines: tuple[str, ...]
    font: str
    size: float

    @property
    def truncated(self) -> bool:
        return bool(self.lines) and self.lines[-1].endswith(ELLIPSIS)


def width(text: str, font: str, size: float) -> float:
    """The width of ``text`` in points."""
    return float(stringWidth(text, font, size))


def ascent_descent(font: str, size: float) -> tuple[float, float]:
    """Ascent above the baseline and descent below it (negative), in points."""
    ascent, descent = getAscentDescent(font, size)
    return float(ascent), float(descent)


def _char(ch: str) -> str:
    if ch.isspace() or unicodedata.category(ch).startswith("C"):
        return " "
    ch = _SUBSTITUTES.get(ch, ch)
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        base = unicodedata.normalize("NFKD", ch)
        kept = "".join(c for c in base if c.isascii() and c.isprintable())
        return kept or "?"
    return ch


def printable(text: str | None) -> str:
    """``text`` on one line, with single spaces, in the characters the standard fonts have."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    return " ".join("".join(_char(ch) for ch in text).split())


def _longest_prefix(word: str, font: str, size: float, limit: float) -> int:
    """How many leading characters of ``word`` fit in ``limit`` (at least one)."""
    cut = 1
    while cut < len(word) and width(word[: cut + 1], font, size) <= limit:
        cut += 1
    return cut


def wrap(text: str, font: str, size: float, box: float, *, indent: float = 0.0) -> list[str]:
    """Greedy word wrap into lines no wider than ``box`` points (the first line ``indent``
    points narrower). A word longer than a line is broken between characters."""
    lines: list[str] = []
    current = ""

    def limit() -> float:
        return box - (indent if not lines else 0.0)

    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if width(candidate, font, size) <= limit():
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        while width(word, font, size) > limit():
            cut = _longest_prefix(word, font, size, limit())
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


@lru_cache(maxsize=4096)  # a sheet repeats its recipient, donor, programme and models
def fit(
    text: str,
    *,
    font: str,
    size: float,
    min_size: float,
    box: float,
    max_lines: int,
    indent: float = 0.0,
) -> Fitted:
    """``text`` wrapped into at most ``max_lines`` lines of ``box`` points: at ``size`` if
    it fits, else at the largest smaller size (down to ``min_size``) that fits, else at
    ``min_size`` cut after the last line with an ellipsis."""
    current = size
    while True:
        lines = wrap(text, font, current, box, indent=indent)
        if len(lines) <= max_lines:
            return Fitted(tuple(lines), font, current)
        if current - _STEP < min_size:
            break
        current -= _STEP
    lines = wrap(text, font, min_size, box, indent=indent)[:max_lines]
    limit = box - (indent if len(lines) == 1 else 0.0)
    last = lines[-1]
    while last and width(last + ELLIPSIS, font, min_size) > limit:
        last = last[:-1]
    lines[-1] = last.rstrip() + ELLIPSIS
    return Fitted(tuple(lines), font, min_size)
