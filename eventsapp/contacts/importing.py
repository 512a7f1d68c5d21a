"""Importing contacts from organisers' spreadsheets (CSV or XLSX), and exporting them back.

parse_file → (headers, rows); guess_mapping → column → field; preview (checking.py)
→ one RowResult per row (create / update / skip / ignore / error, with every
error's row number, column and kind); apply → everything in one transaction with
bulk statements (INSERT … RETURNING, UPDATE by id keeping what empty cells leave,
association and tag links skipping those already there, one bulk feed signal).
The caller commits.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, case, delete, insert, select, text, update

from .. import audit, signals, spreadsheets
from ..associations.models import Association
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..phones import shown_phone
from ..privacy import consent
from ..privacy.models import Basis, Source
from ..spreadsheets import unguard_cell
from ..text import fold, nfc, sort_key
from ..timeutils import utcnow
from .checking import TEXT_FIELDS, Preview, preview
from .checking import chunks as _chunks
from .models import Contact, ContactTag, ImportBatch, contact_associations, new_contact_token

# The fields an import fills, in export order, with their Vietnamese (export) headers.
# The columns of issue 26 come last: spreadsheets made from earlier exports keep their columns' places.
FIELDS = ("full_name", "email", "phone", "country", "place", "timezone", "language", "associations", "notes", "tags",
          "honorific", "position", "postal_address", "preferred_channel")
EXPORT_HEADERS = {
    "full_name": "Họ và tên", "honorific": "Danh xưng", "position": "Chức vụ", "email": "Email",
    "phone": "Số điện thoại", "postal_address": "Địa chỉ", "preferred_channel": "Kênh liên lạc", "country": "Quốc gia",
    "place": "Nơi ở", "timezone": "Múi giờ", "language": "Ngôn ngữ", "associations": "Hội",
    "notes": "Ghi chú", "tags": "Nhãn",
}
# A preferred channel as the export writes it (and the import reads it back: values.read_channel).
CHANNEL_WORDS = {"email": "Email", "sms": "SMS", "zalo": "Zalo", "printed": "Thiệp mời"}
FIELD_LABELS = {
    "full_name": _l("Full name"), "email": _l("E-mail"), "phone": _l("Phone"), "honorific": _l("Form of address"),
    "position": _l("Position"), "postal_address": _l("Postal address"), "preferred_channel": _l("Reach first by"),
    "country": _l("Country"),
    "place": _l("Place"), "timezone": _l("Time zone"), "language": _l("Language"),
    "associations": _l("Associations"), "notes": _l("Notes"), "tags": _l("Tags"),
}
# Header spellings (folded: lower-case, no diacritics) → field.
ALIASES = {
    "ho va ten": "full_name", "ho ten": "full_name", "ten": "full_name", "full name": "full_name", "name": "full_name",
    "fullname": "full_name",
    "email": "email", "e-mail": "email", "e mail": "email", "thu dien tu": "email", "dia chi email": "email",
    "so dien thoai": "phone", "dien thoai": "phone", "sdt": "phone", "phone": "phone", "telephone": "phone",
    "phone number": "phone", "mobile": "phone", "di dong": "phone", "so di dong": "phone", "dien thoai di dong": "phone",
    "mobile phone": "phone", "zalo": "phone", "so zalo": "phone",
    "danh xung": "honorific", "xung ho": "honorific", "honorific": "honorific", "title": "honorific",
    "form of address": "honorific", "salutation": "honorific",
    "chuc vu": "position", "chuc danh": "position", "position": "position", "job title": "position",
    "dia chi": "postal_address", "dia chi buu dien": "postal_address", "dia chi lien he": "postal_address",
    "dia chi lien lac": "postal_address", "dia chi gui thu": "postal_address", "postal address": "postal_address",
    "address": "postal_address", "mailing address": "postal_address",
    "kenh lien lac": "preferred_channel", "kenh": "preferred_channel", "kenh uu tien": "preferred_channel",
    "lien lac qua": "preferred_channel", "preferred channel": "preferred_channel", "channel": "preferred_channel",
    "reach first by": "preferred_channel",
    "quoc gia": "country", "nuoc": "country", "country": "country",
    "noi o": "place", "thanh pho": "place", "place": "place", "city": "place",
    "place/city": "place", "place / city": "place", "town": "place",
    "mui gio": "timezone", "timezone": "timezone", "time zone": "timezone",
    "ngon ngu": "language", "language": "language", "lang": "language",
    "hoi": "associations", "cac hoi": "associations", "associations": "associations", "association": "associations",
    "ghi chu": "notes", "notes": "notes", "note": "notes",
    "nhan": "tags", "the": "tags", "tags": "tags", "tag": "tags",
}
REQUIRED = ("full_name",)
# One of these columns at least: a person is reached by e-mail, phone or post.
REACH_COLUMNS = ("email", "phone", "postal_address")
BATCH_LIFETIME = timedelta(hours=2)
# Limits (config.py, from the environment): CONTACTS_IMPORT_MAX_ROWS, _MAX_COLUMNS, _MAX_UNPACKED_BYTES.
# Spreadsheet bombs: MAX_CONTENT_LENGTH counts compressed bytes, so an XLSX is also judged by what it
# unpacks to (zip members' declared sizes; zipfile never inflates past them) and by its rows and columns.
MAX_ZIP_MEMBERS = 1000


class ImportFileError(ValueError):
    """The upload is not something we can read; the message is shown to the user."""


# ---------------------------------------------------------------- reading files

def max_rows() -> int:
    return int(current_app.config["CONTACTS_IMPORT_MAX_ROWS"])


def max_columns() -> int:
    return int(current_app.config["CONTACTS_IMPORT_MAX_COLUMNS"])


def _too_many_rows() -> ImportFileError:
    return ImportFileError(_l("The file has more than %(limit)s rows. Split it into smaller files.",
                              limit=f"{max_rows():,}"))


def _too_many_columns() -> ImportFileError:
    return ImportFileError(_l("The file has more than %(limit)s columns. Keep only the contact columns.",
                              limit=max_columns()))


def _check_unpacked_size(data: bytes) -> None:
    """Refuse an XLSX whose parts unpack to more than CONTACTS_IMPORT_MAX_UNPACKED_BYTES, before any is read."""
    import zipfile

    limit = int(current_app.config["CONTACTS_IMPORT_MAX_UNPACKED_BYTES"])
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ImportFileError(_l("This file is not a spreadsheet we can read (use CSV in UTF-8, or XLSX).")) from error
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_ZIP_MEMBERS or unpacked > limit:
        raise ImportFileError(_l("The spreadsheet is too large once unpacked (%(size)s MB; at most %(limit)s MB). "
                                 "Split it into smaller files.",
                                 size=f"{unpacked / 1048576:,.0f}", limit=f"{limit / 1048576:,.0f}"))


def _cell(value) -> str:
    if not value:  # most cells of a roll are empty: "" and None alike
        return "" if value is None or value == "" else _cell_text(value)
    return _cell_text(value)


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # A cell our exports guarded against formulas ('=…) comes back as it was.
    return unguard_cell(nfc(str(value)).strip())


def _read_xlsx(data: bytes) -> list[list[str]]:
    """The non-blank rows of the first sheet, read within the limits whatever the file declares."""
    import openpyxl

    _check_unpacked_size(data)
    rows: list[list[str]] = []
    limit, columns = max_rows() + 1, max_columns()  # data rows and the header
    # Rows read at most, blank ones included (a sheet may jump to row 1,048,576 in a few bytes).
    scanned_limit = 2 * limit + 1000
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # a zip that is not a workbook, a damaged workbook: openpyxl raises many kinds
        raise ImportFileError(_l("This file is not a spreadsheet we can read (use CSV in UTF-8, or XLSX).")) from error
    try:
        sheet = workbook.worksheets[0]
        if sheet.max_column is not None and sheet.max_column > columns:
            raise _too_many_columns()
        if sheet.max_row is not None and sheet.max_row > scanned_limit:
            raise _too_many_rows()
        scanned = 0
        for row in sheet.iter_rows(max_row=scanned_limit + 1, max_col=columns + 1, values_only=True):
            scanned += 1
            if scanned > scanned_limit:
                raise _too_many_rows()
            if len(row) > columns and row[columns] not in (None, ""):
                raise _too_many_columns()
            values = [_cell(v) for v in row[:columns]]
            if any(values):
                rows.append(values)
                if len(rows) > limit:
                    raise _too_many_rows()
    except ImportFileError:
        raise
    except Exception as error:  # a damaged sheet: openpyxl and zipfile raise many kinds
        raise ImportFileError(_l("This file is not a spreadsheet we can read (use CSV in UTF-8, or XLSX).")) from error
    finally:
        workbook.close()
    return rows


def _read_csv(data: bytes) -> list[list[str]]:
    """The non-blank rows of a CSV, decoded and split a line at a time (the text is never held whole)."""
    unreadable = _l("This file is not a spreadsheet we can read (use CSV in UTF-8, or XLSX).")
    not_utf8 = _l("The file is not in UTF-8. In Excel, save it as “CSV UTF-8”, or as XLSX.")
    if b"\x00" in data[:4096]:
        raise ImportFileError(unreadable)
    # Counted in C before any row is built: millions of blank lines or empty cells fit in the upload limit.
    # Blank lines and delimiters inside quoted cells are allowed for generously.
    if data.count(b"\n") > 2 * max_rows() + 1000:
        raise _too_many_rows()
    end = data.find(b"\n")
    try:
        first_line = data[:end if end >= 0 else len(data)].decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(not_utf8) from error
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = max(",;\t", key=first_line.count)
    most_delimiters, columns = 10 * max_columns(), max_columns()

    def lines():
        for line in io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""):
            if line.count(delimiter) > most_delimiters:  # before the csv module splits it
                raise _too_many_columns()
            yield line

    rows = []
    try:
        for row in csv.reader(lines(), delimiter=delimiter):
            if len(row) > columns and any(row[columns:]):
                raise _too_many_columns()
            values = [_cell(v) for v in row[:columns]]
            if any(values):
                rows.append(values)
    except UnicodeDecodeError as error:
        raise ImportFileError(not_utf8) from error
    except csv.Error as error:
        raise ImportFileError(unreadable) from error
    return rows


def parse_file(filename: str, data: bytes) -> tuple[list[str], list[list[str]]]:
    """The header row and the data rows (blank rows dropped) of a CSV or XLSX upload."""
    if not data:
        raise ImportFileError(_l("The file is empty."))
    if data[:4] == b"PK\x03\x04":
        rows = _read_xlsx(data)
    elif (filename or "").lower().endswith((".xlsx", ".xls", ".ods", ".pdf", ".doc", ".docx")):
        raise ImportFileError(_l("This file is not a spreadsheet we can read (use CSV in UTF-8, or XLSX)."))
    else:
        rows = _read_csv(data)
    if not rows:  # the readers keep only rows with a value
        raise ImportFileError(_l("The file is empty."))
    headers = rows.pop(0)
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise ImportFileError(_l("The first row must hold the column headers."))
    if len(rows) > max_rows():
        raise _too_many_rows()
    width = len(headers)
    for row in rows:  # in place: a second list of 100,000 rows is what a large roll cannot afford
        if len(row) < width:
            row.extend([""] * (width - len(row)))
        elif len(row) > width:
            del row[width:]
    return headers, rows


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{column index as str: field} for the headers we recognise (first occurrence wins)."""
    mapping: dict[str, str] = {}
    for index, header in enumerate(headers):
        name = ALIASES.get(fold(header).strip(" :*"))
        if name and name not in mapping.values():
            mapping[str(index)] = name
    return mapping


def mapping_problems(headers: list[str], mapping: dict[str, str]) -> list[str]:
    """Why the mapping cannot be used yet: required fields missing (empty list: fine)."""
    used = set(mapping.values())
    problems = [str(_l("No column holds %(field)s.", field=FIELD_LABELS[name])) for name in REQUIRED if name not in used]
    if not used & set(REACH_COLUMNS):
        problems.append(str(_l("No column holds an e-mail address, a phone number or a postal address.")))
    return problems


def unknown_headers(headers: list[str], mapping: dict[str, str]) -> list[str]:
    return [h for i, h in enumerate(headers) if str(i) not in mapping and h]


# ---------------------------------------------------------------- writing

class ImportRefused(ValueError):
    """The preview has errors and the user did not choose "valid rows only"."""


def apply(result: Preview, *, valid_only: bool = False, user=None, basis: Basis | None = None) -> dict[str, int]:
    """Write the rows of `result` with bulk statements; returns the counts. The caller commits.

    Creates are INSERTed from the rows as JSON; updates are one UPDATE per 5,000 rows in which an empty cell keeps
    the stored value (so no stored contact is read back); links and tags are INSERTed, the ones a contact
    already has skipped by the database; the feeds of contacts whose name, language or zone changed
    are marked by one bulk signal. `user` is not needed: `result` was checked for that user (the preview
    refuses the rows she may not write).

    `basis`: why the association may write to the people of this roll, asked once; recorded as each row's
    consent to invitations and reminders (source "import"; "none" records that nothing may be sent yet) in one
    statement.
    """
    if result.has_errors and not valid_only:
        raise ImportRefused(_l("The file has errors: nothing was imported. Correct them, or choose "
                               "“import valid rows only”."))
    now = utcnow()
    creates = [r for r in result.rows if r.action == "create"]
    updates = [r for r in result.rows if r.action == "update"]

    for chunk in _chunks(creates, 2000):
        new = [_new_contact(record, now) for record in chunk]
        # Matched by the feed token, unique and made here: a new contact may have no e-mail (nor phone).
        inserted = _bulk_insert(Contact.__table__, new, returning=("id", "feed_token"))
        ids = {token: contact_id for contact_id, token in inserted}
        for record, row in zip(chunk, new, strict=True):
            record.contact_id = ids[row["feed_token"]]
    for chunk in _chunks(updates):
        _bulk_update([_changed_cells(record) for record in chunk], now)

    written = creates + updates
    for chunk in _chunks(written):
        _bulk_insert(contact_associations, [{"contact_id": record.contact_id, "association_id": a}
                                            for record in chunk for a in record.association_ids],
                     skip_existing=True)
        _bulk_insert(ContactTag.__table__, [{"contact_id": record.contact_id, "tag": t}
                                            for record in chunk for t in record.tags], skip_existing=True)
    db.session.expire_all()  # contacts already in the session must not keep the old values
    signals.contacts_imported.send(None, contact_ids=[r.contact_id for r in updates if r.signalled])
    counts = result.counts
    summary = {"created": len(creates), "updated": len(updates), "skipped": counts["skip"], "errors": counts["error"],
               "ignored": counts["ignore"]}
    if basis is not None:
        rows = [r.contact_id for r in result.rows if r.action in ("create", "update", "skip") and r.contact_id]
        consent.record(rows, consent.ROLL_PURPOSES, granted=basis != Basis.NONE, source=Source.IMPORT, basis=basis,
                       by=user)
        summary["basis"] = basis.value
    audit.record_for("contacts_imported", None, {a for r in written for a in r.association_ids}, **summary)
    return summary


def _new_contact(record, now) -> dict:
    v = record.values
    name = nfc(v["full_name"])
    return {
        "full_name": name, "email": v["email"] or None, "phone": v.get("phone", ""),
        "honorific": nfc(v.get("honorific", "")), "position": nfc(v.get("position", "")),
        "postal_address": nfc(v.get("postal_address", "")), "preferred_channel": v.get("preferred_channel") or "email",
        "country": v.get("country", ""), "place": v.get("place", ""), "timezone": v.get("timezone") or "Asia/Ho_Chi_Minh",
        "language": v.get("language") or "vi", "notes": v.get("notes", ""),
        "search_text": f"{fold(name)} {v['email']}", "sort_key": sort_key(name),
        "feed_token": new_contact_token(), "unsubscribe_token": new_contact_token(),
        "created_at": now, "updated_at": now,
    }


def _changed_cells(record) -> dict:
    """The row's non-empty cells for an update ("" = keep the stored value), with the name's derived keys."""
    values = record.values
    row = {name: nfc(value) if (value := values.get(name)) else "" for name in TEXT_FIELDS}
    row["email"] = record.values.get("email") or ""  # fills in the address of a contact found by phone
    name = row["full_name"]
    row["search_text"] = f"{fold(name)} {row['email'] or record.stored_email or ''}" if name else ""
    row["sort_key"] = sort_key(name) if name else ""
    row["id"] = record.contact_id
    return row


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _recordset(table, columns, rows) -> tuple[str, dict]:
    """`json_to_recordset(:rows) AS incoming(col type, …)` and its one parameter: the rows as JSON.

    One parameter for thousands of rows: json.dumps (in C) and PostgreSQL's JSON reader are many times
    quicker than binding every value, or than dumping one array per column value by value.
    """
    dialect = db.session.get_bind().dialect
    definitions = []
    for name in columns:
        sql_type = table.c[name].type.dialect_impl(dialect)
        sql_type = getattr(sql_type, "impl", sql_type)
        definitions.append(f"{name} {sql_type.compile(dialect=dialect)}")
    payload = json.dumps(rows, default=_json_value, ensure_ascii=False, check_circular=False)
    source = f"json_to_recordset(CAST(:rows AS json)) AS incoming({', '.join(definitions)})"
    return source, {"rows": payload}


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _bulk_insert(table, rows: list[dict], returning: tuple[str, ...] = (), skip_existing: bool = False) -> list:
    """INSERT many rows (all with the same keys): on PostgreSQL one INSERT … SELECT FROM the rows as JSON per 5,000.
    `skip_existing`: rows whose key is already there are left out (ON CONFLICT DO NOTHING)."""
    result = []
    for chunk in _chunks(rows):
        if not _postgresql():
            statement = insert(table)
            if skip_existing:
                statement = statement.prefix_with("OR IGNORE", dialect="sqlite")
            if returning:
                statement = statement.returning(*(table.c[name] for name in returning))
            executed = db.session.execute(statement, chunk)
            result += executed.all() if returning else []
            continue
        columns = list(chunk[0])
        source, params = _recordset(table, columns, chunk)
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM {source}"
        if skip_existing:
            sql += " ON CONFLICT DO NOTHING"
        if returning:
            sql += f" RETURNING {', '.join(returning)}"
        executed = db.session.execute(text(sql), params)
        result += executed.all() if returning else []
    return result


UPDATED_COLUMNS = ("id", *TEXT_FIELDS, "email", "search_text", "sort_key")


def _bulk_update(rows: list[dict], now) -> None:
    """UPDATE contacts by id from rows of cells, an empty cell keeping the stored value: on PostgreSQL
    one UPDATE … FROM the rows as JSON per 5,000 rows, elsewhere one statement run for every row."""
    if not rows:
        return
    if not _postgresql():
        table = Contact.__table__
        keep = {name: case((bindparam(f"new_{name}") != "", bindparam(f"new_{name}")), else_=table.c[name])
                for name in UPDATED_COLUMNS if name != "id"}
        statement = update(table).where(table.c.id == bindparam("new_id")).values(**keep, updated_at=now)
        db.session.connection().execute(statement, [{f"new_{k}": v for k, v in row.items()} for row in rows])
        return
    for chunk in _chunks(rows):
        source, params = _recordset(Contact.__table__, UPDATED_COLUMNS, chunk)
        assignments = ", ".join(f"{name} = COALESCE(NULLIF(incoming.{name}, ''), contacts.{name})"
                                for name in UPDATED_COLUMNS if name != "id")
        db.session.execute(text(f"UPDATE contacts SET {assignments}, updated_at = :now FROM {source} "
                                "WHERE contacts.id = incoming.id"), {**params, "now": now})


# ---------------------------------------------------------------- batches kept between preview and confirm

def create_batch(user, filename: str, data: bytes, association: Association | None = None) -> ImportBatch:
    """Parse an upload and keep it for the preview; drops the user's expired batches. Caller commits."""
    headers, rows = parse_file(filename, data)
    db.session.execute(delete(ImportBatch).where(ImportBatch.expires_at < utcnow()))
    batch = ImportBatch(user_id=user.id, association_id=association.id if association else None,
                        filename=(filename or "")[:255], headers=headers, rows=rows,
                        mapping=guess_mapping(headers), expires_at=utcnow() + BATCH_LIFETIME)
    db.session.add(batch)
    db.session.flush()
    return batch


def get_batch(token: str, user) -> ImportBatch | None:
    """The user's own unexpired batch with this token."""
    batch = db.session.scalar(select(ImportBatch).where(ImportBatch.token == token))
    if batch is None or batch.user_id != user.id or batch.expires_at < utcnow():
        return None
    return batch


def batch_preview(batch: ImportBatch, user, *, only_mine: bool = False) -> Preview:
    return preview(batch.headers, batch.rows, batch.mapping, user, batch.association, only_mine=only_mine)


def confirm_batch(batch: ImportBatch, user, *, valid_only: bool, only_mine: bool = False,
                  basis: Basis | None = None) -> dict[str, int]:
    """Check the rows again and write them; the caller commits."""
    if batch.imported_at is not None:
        raise ImportRefused(_l("This file has already been imported."))
    result = batch_preview(batch, user, only_mine=only_mine)
    counts = apply(result, valid_only=valid_only, user=user, basis=basis)
    batch.summary = {**counts, "error_report": error_report_csv(result) if result.has_errors else ""}
    batch.imported_at = utcnow()
    batch.rows = []  # the data is in the directory now
    return counts


def check_file(filename: str, data: bytes, user, association: Association | None = None, *,
               only_mine: bool = False) -> Preview:
    """Parse and check a file with the automatic header mapping (the API and CLI path); writes nothing."""
    headers, rows = parse_file(filename, data)
    mapping = guess_mapping(headers)
    problems = mapping_problems(headers, mapping)
    if problems:
        raise ImportFileError(" ".join(problems))
    return preview(headers, rows, mapping, user, association, only_mine=only_mine, consume=True)


# ---------------------------------------------------------------- reports and export

def error_report_csv(result: Preview) -> str:
    """The errors as CSV (UTF-8 with BOM for Excel): row, column, message, then the row's name and e-mail."""
    rows = [["Dòng / Row", "Cột / Column", "Lỗi / Error", "Họ và tên", "Email"]]
    rows += [[row.number, column, message, row.values.get("full_name", ""), row.values.get("email", "")]
             for row in result.errors for column, message in row.errors]
    return spreadsheets.csv_text(rows)


def export_rows(contacts: Iterable[Contact], visible_association_ids: set[int] | None) -> Iterable[list[str]]:
    yield [EXPORT_HEADERS[name] for name in FIELDS]
    for contact in contacts:
        slugs = sorted(a.slug for a in contact.associations
                       if visible_association_ids is None or a.id in visible_association_ids)
        yield [contact.full_name, contact.email or "", shown_phone(contact.phone), contact.country, contact.place,
               contact.timezone, contact.language, ";".join(slugs), contact.notes, ";".join(contact.tag_names),
               contact.honorific, contact.position, contact.postal_address,
               CHANNEL_WORDS.get(contact.preferred_channel, "")]


def export_csv(contacts: Iterable[Contact], visible_association_ids: set[int] | None) -> bytes:
    return spreadsheets.csv_bytes(export_rows(contacts, visible_association_ids))


def export_xlsx(contacts: Iterable[Contact], visible_association_ids: set[int] | None) -> bytes:
    return spreadsheets.xlsx_bytes("Danh bạ", export_rows(contacts, visible_association_ids))
