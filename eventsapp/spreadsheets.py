"""Every CSV and XLSX file the product writes goes through here, cell by cell.

`safe_cell` is the one guard for spreadsheet cells (OWASP, "CSV Injection"): a text cell
that starts with `=`, `+`, `-`, `@`, tab or carriage return (or their full-width forms, which
some spreadsheet programs read the same way) is prefixed with a single quote, so Excel,
LibreOffice and Google Sheets show it as text instead of evaluating it. XLSX cells are
written with the string type, never as formulas, and without the control characters
the format cannot hold. The importer strips that quote again (`unguard_cell`), so an
exported file imports back unchanged.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
GUARD = "'"


def safe_cell(value):
    """The value as a spreadsheet cell that cannot start a formula; numbers and None pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return GUARD + value
    return value


def unguard_cell(text: str) -> str:
    """A cell read back from a file we (or a careful program) guarded: the quote before a formula prefix goes."""
    if text.startswith(GUARD) and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


def csv_text(rows: Iterable[Iterable], *, bom: bool = True) -> str:
    """The rows as CSV text (UTF-8 byte-order mark first, so Excel reads the diacritics), every cell guarded."""
    out = io.StringIO()
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()


def csv_bytes(rows: Iterable[Iterable], *, bom: bool = True) -> bytes:
    return csv_text(rows, bom=bom).encode("utf-8")


def _xlsx_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


def xlsx_cells(sheet, values: Iterable, font=None) -> list:
    """One row of cells for `sheet` (normal or write-only): guarded, text typed as string, never a formula."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        value = safe_cell(_xlsx_text(value) if isinstance(value, str) else value)
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        if font is not None:
            cell.font = font
        cells.append(cell)
    return cells


def append_row(sheet, values: Iterable, font=None) -> None:
    """Append one guarded row to an openpyxl worksheet."""
    sheet.append(xlsx_cells(sheet, values, font))


def xlsx_bytes(title: str, rows: Iterable[Iterable]) -> bytes:
    """A one-sheet workbook of `rows` (streamed: write-only mode), every cell guarded."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for row in rows:
        append_row(sheet, row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def save(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
