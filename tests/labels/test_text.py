"""Wrapping, shrinking and cutting text to fit a box with the standard fonts."""

from __future__ import annotations

from donations.labels.text import ELLIPSIS, fit, printable, width, wrap

FONT = "Helvetica"


class TestWrap:
    def test_breaks_between_words(self) -> None:
        lines = wrap("one two three four five six", FONT, 10, 60)
        assert len(lines) > 1
        assert " ".join(lines) == "one two three four five six"
        assert all(width(line, FONT, 10) <= 60 for line in lines)

    def test_breaks_a_word_longer_than_a_line(self) -> None:
        lines = wrap("A" * 100, FONT, 10, 50)
        assert "".join(lines) == "A" * 100
        assert all(width(line, FONT, 10) <= 50 for line in lines)

    def test_first_line_is_narrower_by_the_indent(self) -> None:
        lines = wrap("aaa bbb ccc ddd", FONT, 10, 60, indent=40)
        assert width(lines[0], FONT, 10) <= 20


class TestFit:
    def test_keeps_the_size_when_it_fits(self) -> None:
        fitted = fit("Tonga Post", font=FONT, size=8, min_size=5, box=80, max_lines=1)
        assert fitted.lines == ("Tonga Post",) and fitted.size == 8

    def test_shrinks_before_cutting(self) -> None:
        text = "Universal Postal Union"
        fitted = fit(text, font=FONT, size=9, min_size=5, box=80, max_lines=1)
        assert fitted.size < 9 and not fitted.truncated
        assert " ".join(fitted.lines) == text

    def test_cuts_with_an_ellipsis_at_the_smallest_size(self) -> None:
        fitted = fit("word " * 100, font=FONT, size=8, min_size=6, box=80, max_lines=2)
        assert fitted.size == 6 and len(fitted.lines) == 2 and fitted.truncated
        assert all(width(line, FONT, 6) <= 80 for line in fitted.lines)

    def test_the_ellipsis_respects_the_indent(self) -> None:
        fitted = fit("x" * 300, font=FONT, size=8, min_size=6, box=80, max_lines=1, indent=20)
        assert fitted.lines[0].endswith(ELLIPSIS)
        assert width(fitted.lines[0], FONT, 6) <= 60


class TestPrintable:
    def test_keeps_western_european_text(self) -> None:
        assert printable("Société  des\npostes") == "Société des postes"

    def test_replaces_what_the_standard_fonts_lack(self) -> None:
        assert printable("Tōngā 컴퓨터") == "Tonga ???"
        assert printable(None) == ""
