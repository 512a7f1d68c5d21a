"""Issue 13, item 6: spreadsheet bombs are refused before they are loaded, with bounded memory.

The upload limit counts compressed bytes; these files are small on the wire and huge once read.
"""
from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest

from eventsapp.contacts import importing
from tests.contacts_support import upload
from tests.factories import AssociationFactory, UserFactory

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                 'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
                 '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
                 'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
                 'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.'
                 'xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                 '</Types>')
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
             '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
             'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Danh bạ" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship '
                 'Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                 'Target="sharedStrings.xml"/></Relationships>')
SHEET_START = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def workbook(sheet: str, shared_strings_chunks=(), shared_strings_tail: str = "") -> bytes:
    """A minimal XLSX, its parts written in streamed chunks (the bomb never sits in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
                           ("xl/workbook.xml", WORKBOOK), ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
                           ("xl/worksheets/sheet1.xml", sheet)):
            archive.writestr(name, text)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                       b'spreadsheetml/2006/main">')
            for chunk in shared_strings_chunks:
                part.write(chunk)
            part.write(f"{shared_strings_tail}</sst>".encode())
    return out.getvalue()


def shared_strings_bomb(megabytes: int = 200) -> bytes:
    """~550 KB on the wire, `megabytes` MB of shared strings once unpacked (the penetration test's file)."""
    one = b"<si><t>" + b"A" * 1000 + b"</t></si>"
    chunk = one * 1024  # ~1 MB
    sheet = SHEET_START + '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    return workbook(sheet, (chunk for _ in range(megabytes)))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return shared_strings_bomb()


def test_a_shared_strings_bomb_is_refused_before_loading_with_bounded_memory(app, bomb):
    assert len(bomb) < 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(importing.ImportFileError) as refused:
            importing.parse_file("danh-ba.xlsx", bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "MB" in str(refused.value)
    assert peak < 20 * 1024 * 1024, peak  # the whole thing unpacked would be 200 MB


def test_the_page_explains_the_refusal_in_vietnamese(auth, db, bomb):
    AssociationFactory(slug="hoi-a")
    auth.login(UserFactory(is_admin=True))
    response = upload(auth, bomb, filename="danh-ba.xlsx")
    assert "quá lớn khi giải nén" in response.text


def test_a_sheet_declaring_a_million_rows_or_thousands_of_columns_is_refused(app):
    rows = SHEET_START + '<dimension ref="A1:B1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row></sheetData></worksheet>'
    with pytest.raises(importing.ImportFileError, match="rows|dòng"):
        importing.parse_file("a.xlsx", workbook(rows))
    wide = SHEET_START + '<dimension ref="A1:XFD2"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row></sheetData></worksheet>'
    with pytest.raises(importing.ImportFileError, match="columns|cột"):
        importing.parse_file("a.xlsx", workbook(wide))


@pytest.mark.slow
def test_a_sheet_hiding_its_size_is_still_read_within_the_limits(app):
    """No dimension, one cell at the last column of the last row: the reader stops at the limits."""
    sheet = (SHEET_START + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Họ và tên</t></is></c>'
             '<c r="B1" t="inlineStr"><is><t>Email</t></is></c><c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>'
             '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>')
    tracemalloc.start()
    try:
        with pytest.raises(importing.ImportFileError):
            importing.parse_file("a.xlsx", workbook(sheet))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024, peak


def test_csv_bombs_of_blank_lines_or_empty_cells_are_refused(app):
    with pytest.raises(importing.ImportFileError, match="rows|dòng"):
        importing.parse_file("a.csv", b"Ho va ten,Email\n" + b"\n" * 5_000_000)
    with pytest.raises(importing.ImportFileError, match="columns|cột"):
        importing.parse_file("a.csv", b"Ho va ten,Email\n" + b"," * 5_000_000 + b"\n")
