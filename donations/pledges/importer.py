"""Reading item files (CSV or XLSX with the header `serial,model,notes`) into rows.

Everything is checked before anything is written: the first bad row is reported by its
line number in the file (the header is row 1, as a spreadsheet shows it).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator

from pydantic import ValidationError

from donations.errors import Invalid
from donations.pledges.schemas import ItemIn

COLUMNS = ("serial", "model", "notes")
DELIMITERS = (",", ";", "\t")
XLSX_MAGIC = b"PK\x03\x04"


def parse_file(content: bytes, *, filename: str | None = None) -> list[tuple[int, ItemIn]]:
    """The (line number, row) pairs of a CSV or XLSX file, or Invalid naming the first bad
    row."""
    if not content.strip():
        raise Invalid("file: the file is empty")
    if content.startswith(XLSX_MAGIC):
        rows = _xlsx_rows(content)
    elif filename and filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise Invalid("file: not a readable XLSX workbook (save it as .xlsx or CSV)")
    else:
        rows = _csv_rows(content)
    return parse_rows(rows)


def parse_rows(rows: Iterable[list[str | None]]) -> list[tuple[int, ItemIn]]:
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise Invalid("file: the file is empty")
    columns = [(cell or "").strip().lower().lstrip("\ufeff") for cell in header]
    if "serial" not in columns:
        raise Invalid(
            "file: row 1 must be the header serial,model,notes "
            f"(found: {','.join(c for c in columns if c) or 'nothing'})"
        )
    unknown = [c for c in columns if c and c not in COLUMNS]
    if unknown:
        raise Invalid(
            f"file: row 1 has unknown column(s) {', '.join(unknown)}; use serial,model,notes"
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
            raise Invalid(f"row {number}: serial {item.serial!r} repeats row {seen[item.serial]}")
        seen[item.serial] = number
        items.append((number, item))
    if not items:
        raise Invalid("file: no item rows after the header")
    return items


def _row_item(number: int, cells: list[str], index: dict[str, int]) -> ItemIn:
    values = {name: cells[i] if i < len(cells) else "" for name, i in index.items()}
    if not values.get("serial"):
        raise Invalid(f"row {number}: serial is empty")
    try:
        return ItemIn(
            serial=values["serial"],
            model=values.get("model") or None,
            notes=values.get("notes") or None,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        raise Invalid(f"row {number}: {field}: {error['msg']}") from None


def _csv_rows(content: bytes) -> Iterator[list[str | None]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("file: not UTF-8 text; save the CSV as UTF-8") from None
    try:
        yield from csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    except csv.Error as exc:
        raise Invalid(f"file: malformed CSV: {exc}") from None


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
        raise Invalid("file: not a readable XLSX workbook") from None
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
