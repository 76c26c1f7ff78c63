"""Reading item files (CSV or XLSX with the header `serial,model,notes`) into rows.

Everything is checked before anything is written: the first bad row is reported by its
line number in the file (the header is row 1, as a spreadsheet shows it), as the error's
`field` ("row 7", in the request's language); problems of the file as a whole have the field
`file`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator

from pydantic import ValidationError

from donations import i18n
from donations.errors import Invalid
from donations.i18n import gettext as _
from donations.pledges.schemas import ItemIn

COLUMNS = ("serial", "model", "notes")
DELIMITERS = (",", ";", "\t")
XLSX_MAGIC = b"PK\x03\x04"


def parse_file(content: bytes, *, filename: str | None = None) -> list[tuple[int, ItemIn]]:
    """The (line number, row) pairs of a CSV or XLSX file, or Invalid naming the first bad
    row."""
    if not content.strip():
        raise Invalid(_("the file is empty"), field="file")
    if content.startswith(XLSX_MAGIC):
        rows = _xlsx_rows(content)
    elif filename and filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise Invalid(_("not a readable XLSX workbook (save it as .xlsx or CSV)"), field="file")
    else:
        rows = _csv_rows(content)
    return parse_rows(rows)


def row_name(number: int) -> str:
    """A line of the file as errors name it: "row 7"."""
    return _("row {row}").format(row=number)


def parse_rows(rows: Iterable[list[str | None]]) -> list[tuple[int, ItemIn]]:
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise Invalid(_("the file is empty"), field="file")
    columns = [(cell or "").strip().lower().lstrip("\ufeff") for cell in header]
    if "serial" not in columns:
        found = ",".join(c for c in columns if c) or _("nothing")
        raise Invalid(
            _("row 1 must be the header serial,model,notes (found: {found})").format(found=found),
            field="file",
        )
    unknown = [c for c in columns if c and c not in COLUMNS]
    if unknown:
        raise Invalid(
            _("row 1 has unknown column(s) {columns}; use serial,model,notes").format(
                columns=", ".join(unknown)
            ),
            field="file",
        )
    index = {name: columns.index(name) for name in COLUMNS if name in columns}
    items: list[tuple[int, ItemIn]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(iterator, start=2):
        cells = [(c or "").strip() if isinstance(c, str) or c is None else str(c) for c in row]
        if not any(cells):
            continue  # blank lines are not rows
        item = _row_item(number, cells, index)
        if item.serial in seen:
            raise Invalid(
                _("serial {serial!r} repeats row {first}").format(
                    serial=item.serial, first=seen[item.serial]
                ),
                field=row_name(number),
            )
        seen[item.serial] = number
        items.append((number, item))
    if not items:
        raise Invalid(_("no item rows after the header"), field="file")
    return items


def _row_item(number: int, cells: list[str], index: dict[str, int]) -> ItemIn:
    values = {name: cells[i] if i < len(cells) else "" for name, i in index.items()}
    if not values.get("serial"):
        raise Invalid(_("serial is empty"), field=row_name(number))
    try:
        return ItemIn(
            serial=values["serial"],
            model=values.get("model") or None,
            notes=values.get("notes") or None,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        column = ".".join(str(p) for p in error["loc"])
        # Translators: a column of the item file (serial, model or notes, as the file's
        # header names it) and what is wrong with its cell.
        message = _("{column}: {message}").format(
            column=column, message=i18n.validation_message(error)
        )
        raise Invalid(message, field=row_name(number)) from None


def _csv_rows(content: bytes) -> Iterator[list[str | None]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(_("not UTF-8 text; save the CSV as UTF-8"), field="file") from None
    try:
        yield from csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    except csv.Error as exc:
        raise Invalid(_("malformed CSV: {error}").format(error=exc), field="file") from None


def _delimiter(text: str) -> str:
    """The separator of the header line: a comma, or the semicolon or tab that spreadsheets
    use in some locales. The header is known (it names `serial`), so unlike guessing from
    the data (csv.Sniffer) this does not fail on blank lines or on separators in notes."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _xlsx_rows(content: bytes) -> Iterator[list[str | None]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise Invalid(_("not a readable XLSX workbook"), field="file") from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
    finally:
        workbook.close()


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a serial typed as a number in a spreadsheet
    return str(value)
