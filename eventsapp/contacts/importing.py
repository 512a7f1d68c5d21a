"""Importing contacts from organisers' spreadsheets (CSV or XLSX), and exporting them back.

parse_file → (headers, rows); guess_mapping → column → field; preview → one
RowResult per row (create / update / skip / error, with every error's row number
and column); apply → everything in one transaction with bulk statements (one
SELECT for the existing e-mails, bulk INSERT … RETURNING, bulk UPDATE by id,
bulk association and tag links). The caller commits.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, insert, select, text, update

from .. import signals, spreadsheets
from ..associations.models import Association
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..spreadsheets import unguard_cell
from ..text import fold, has_control_characters, nfc, sort_key
from ..timeutils import is_valid_timezone, utcnow
from . import services
from .models import Contact, ContactTag, ImportBatch, contact_associations, new_contact_token

# The fields an import fills, in export order, with their Vietnamese (export) headers.
FIELDS = ("full_name", "email", "phone", "country", "place", "timezone", "language", "associations", "notes", "tags")
EXPORT_HEADERS = {
    "full_name": "Họ và tên", "email": "Email", "phone": "Số điện thoại", "country": "Quốc gia",
    "place": "Nơi ở", "timezone": "Múi giờ", "language": "Ngôn ngữ", "associations": "Hội",
    "notes": "Ghi chú", "tags": "Nhãn",
}
FIELD_LABELS = {
    "full_name": _l("Full name"), "email": _l("E-mail"), "phone": _l("Phone"), "country": _l("Country"),
    "place": _l("Place"), "timezone": _l("Time zone"), "language": _l("Language"),
    "associations": _l("Associations"), "notes": _l("Notes"), "tags": _l("Tags"),
}
# Header spellings (folded: lower-case, no diacritics) → field.
ALIASES = {
    "ho va ten": "full_name", "ho ten": "full_name", "ten": "full_name", "full name": "full_name", "name": "full_name",
    "fullname": "full_name",
    "email": "email", "e-mail": "email", "e mail": "email", "thu dien tu": "email", "dia chi email": "email",
    "so dien thoai": "phone", "dien thoai": "phone", "sdt": "phone", "phone": "phone", "telephone": "phone",
    "phone number": "phone", "mobile": "phone",
    "quoc gia": "country", "nuoc": "country", "country": "country",
    "noi o": "place", "dia chi": "place", "thanh pho": "place", "place": "place", "city": "place",
    "place/city": "place", "place / city": "place", "town": "place",
    "mui gio": "timezone", "timezone": "timezone", "time zone": "timezone",
    "ngon ngu": "language", "language": "language", "lang": "language",
    "hoi": "associations", "cac hoi": "associations", "associations": "associations", "association": "associations",
    "ghi chu": "notes", "notes": "notes", "note": "notes",
    "nhan": "tags", "the": "tags", "tags": "tags", "tag": "tags",
}
REQUIRED = ("full_name", "email")
BATCH_LIFETIME = timedelta(hours=2)
# Limits (config.py, from the environment): CONTACTS_IMPORT_MAX_ROWS, _MAX_COLUMNS, _MAX_UNPACKED_BYTES.
# Spreadsheet bombs: MAX_CONTENT_LENGTH counts compressed bytes, so an XLSX is also judged by what it
# unpacks to (zip members' declared sizes; zipfile never inflates past them) and by its rows and columns.
# What the contacts table holds (full_name also bounded by its Vietnamese sort key, at most 400 characters).
FIELD_MAX_LENGTHS = {"full_name": 130, "phone": 50, "country": 100, "place": 200, "notes": 10_000}
MAX_ZIP_MEMBERS = 1000
CHUNK = 5000


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
    if value is None:
        return ""
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
    if b"\x00" in data[:4096]:
        raise ImportFileError(_l("This file is not a spreadsheet we can read (use CSV in UTF-8, or XLSX)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(_l("The file is not in UTF-8. In Excel, save it as “CSV UTF-8”, or as XLSX.")) from error
    first_line = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = max(",;\t", key=first_line.count)
    # Counted in C before any row is built: millions of blank lines or empty cells fit in the upload limit.
    # Blank lines and delimiters inside quoted cells are allowed for generously.
    if text.count("\n") > 2 * max_rows() + 1000:
        raise _too_many_rows()
    if max(line.count(delimiter) for line in text.split("\n")) > 10 * max_columns():
        raise _too_many_columns()
    try:
        rows = []
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(row) > max_columns() and any(row[max_columns():]):
                raise _too_many_columns()
            values = [_cell(v) for v in row[:max_columns()]]
            if any(values):
                rows.append(values)
        return rows
    except csv.Error as error:
        raise ImportFileError(_l("This file is not a spreadsheet we can read (use CSV in UTF-8, or XLSX).")) from error


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
    rows = [row for row in rows if any(row)]
    if not rows:
        raise ImportFileError(_l("The file is empty."))
    headers, body = rows[0], rows[1:]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise ImportFileError(_l("The first row must hold the column headers."))
    if len(body) > max_rows():
        raise _too_many_rows()
    width = len(headers)
    return headers, [(row + [""] * width)[:width] for row in body]


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
    return [str(_l("No column holds %(field)s.", field=FIELD_LABELS[name])) for name in REQUIRED if name not in used]


def unknown_headers(headers: list[str], mapping: dict[str, str]) -> list[str]:
    return [h for i, h in enumerate(headers) if str(i) not in mapping and h]


# ---------------------------------------------------------------- checking rows

@dataclass
class RowResult:
    number: int  # the row number in the spreadsheet (the header is row 1)
    action: str  # "create" | "update" | "skip" | "error"
    values: dict
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column header, message)
    contact_id: int | None = None
    association_ids: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass
class Preview:
    headers: list[str]
    rows: list[RowResult]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "skip": 0, "error": 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts

    @property
    def errors(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _existing(emails: list[str]) -> dict[str, dict]:
    """Existing contacts by e-mail with their fields, association ids and tags: three SELECTs per 5,000."""
    found: dict[str, dict] = {}
    columns = [Contact.id, Contact.email, Contact.full_name, Contact.phone, Contact.country, Contact.place,
               Contact.timezone, Contact.language, Contact.notes, Contact.search_text, Contact.sort_key]
    for chunk in _chunks(emails):
        for row in db.session.execute(select(*columns).where(Contact.email.in_(chunk))):
            found[row.email] = {**row._asdict(), "association_ids": set(), "tags": set()}
    by_id = {c["id"]: c for c in found.values()}
    for chunk in _chunks(list(by_id)):
        for contact_id, association_id in db.session.execute(
                select(contact_associations.c.contact_id, contact_associations.c.association_id)
                .where(contact_associations.c.contact_id.in_(chunk))):
            by_id[contact_id]["association_ids"].add(association_id)
        for contact_id, tag in db.session.execute(
                select(ContactTag.contact_id, ContactTag.tag).where(ContactTag.contact_id.in_(chunk))):
            by_id[contact_id]["tags"].add(tag)
    return found


TEXT_FIELDS = ("full_name", "phone", "country", "place", "timezone", "language", "notes")


def preview(headers: list[str], rows: list[list[str]], mapping: dict[str, str], user,
            extra_association: Association | None = None) -> Preview:
    """What importing `rows` would do, row by row, without writing anything."""
    column_of = {name: int(index) for index, name in mapping.items()}
    header_of = {name: headers[index] for name, index in column_of.items()}
    slugs = {slug: id_ for id_, slug in db.session.execute(select(Association.id, Association.slug))}
    allowed = services.manageable_association_ids(user) if user is not None else None
    records = []
    for offset, row in enumerate(rows):
        values = {name: row[index] if index < len(row) else "" for name, index in column_of.items()}
        values["email"] = services.normalise_email(values.get("email"))
        values["full_name"] = " ".join(values.get("full_name", "").split())
        if values.get("language"):
            values["language"] = values["language"].strip().lower()
        records.append(RowResult(number=offset + 2, action="create", values=values))
    existing = _existing(sorted({r.values["email"] for r in records if r.values["email"]}))

    first_row_of: dict[str, int] = {}
    for record in records:
        values, errors = record.values, record.errors
        if not values["full_name"]:
            errors.append((header_of["full_name"], str(_l("The full name is missing."))))
        elif has_control_characters(values["full_name"]):
            errors.append((header_of["full_name"], str(_l("The name cannot contain line breaks or control characters."))))
        email = values["email"]
        if not email:
            errors.append((header_of["email"], str(_l("The e-mail address is missing."))))
        elif not services.is_valid_email(email):
            errors.append((header_of["email"], str(_l("Not a valid e-mail address: %(email)s", email=email))))
        elif email in first_row_of:
            errors.append((header_of["email"], str(_l("The same e-mail is already on row %(row)s.",
                                                      row=first_row_of[email]))))
        else:
            first_row_of[email] = record.number
        if values.get("timezone") and not is_valid_timezone(values["timezone"]):
            errors.append((header_of["timezone"], str(_l("Unknown time zone: %(zone)s", zone=values["timezone"]))))
        for name, limit in FIELD_MAX_LENGTHS.items():
            if name in header_of and len(values.get(name) or "") > limit:
                errors.append((header_of[name], str(_l("Too long: at most %(max)s characters.", max=limit))))
        for name, value in values.items():
            if "\x00" in (value or "") and name in header_of:  # the database cannot store it
                errors.append((header_of[name], str(_l("This cell contains a NUL character."))))
        if values.get("language") and values["language"] not in services.LANGUAGES:
            errors.append((header_of["language"], str(_l("Unsupported language: %(language)s (use vi or en)",
                                                         language=values["language"]))))
        association_ids = [extra_association.id] if extra_association is not None else []
        for slug in [s.strip() for s in values.get("associations", "").replace(",", ";").split(";") if s.strip()]:
            if slug not in slugs:
                errors.append((header_of["associations"], str(_l("Unknown association: %(slug)s", slug=slug))))
            elif allowed is not None and slugs[slug] not in allowed:
                errors.append((header_of["associations"], str(_l("You do not manage the association %(slug)s.",
                                                                 slug=slug))))
            elif slugs[slug] not in association_ids:
                association_ids.append(slugs[slug])
        record.association_ids = association_ids
        record.tags = services.clean_tags(values.get("tags", ""))
        current = existing.get(email)
        if current is not None and allowed is not None and not current["association_ids"] & allowed:
            # Held by no association of the importer: refused in words that name no one, and nothing of the
            # contact shapes this row's answer (README, "Contact sharing").
            errors.append((header_of["email"], str(services.NOT_YOURS)))
            current = None
        if not association_ids and current is None and allowed is not None and not errors:
            errors.append((header_of.get("associations", header_of["email"]),
                           str(_l("Name at least one association you manage."))))
        if errors:
            record.action = "error"
        elif current is None:
            record.action = "create"
        else:
            record.contact_id = current["id"]
            changed = any(values.get(name) and nfc(values[name]) != current[name] for name in TEXT_FIELDS) \
                or not set(association_ids) <= current["association_ids"] or not set(record.tags) <= current["tags"]
            record.action = "update" if changed else "skip"
    return Preview(headers=headers, rows=records)


# ---------------------------------------------------------------- writing

class ImportRefused(ValueError):
    """The preview has errors and the user did not choose "valid rows only"."""


def apply(result: Preview, *, valid_only: bool = False, user=None) -> dict[str, int]:
    """Write the rows of `result` with bulk statements; returns the counts. The caller commits."""
    if result.has_errors and not valid_only:
        raise ImportRefused(_l("The file has errors: nothing was imported. Correct them, or choose "
                               "“import valid rows only”."))
    now = utcnow()
    creates = [r for r in result.rows if r.action == "create"]
    updates = [r for r in result.rows if r.action == "update"]
    allowed = services.manageable_association_ids(user) if user is not None else None

    new_ids: dict[str, int] = {}
    for chunk in _chunks(creates, 2000):
        values = []
        for record in chunk:
            v = record.values
            name = nfc(v["full_name"])
            values.append({
                "full_name": name, "email": v["email"], "phone": v.get("phone", ""), "country": v.get("country", ""),
                "place": v.get("place", ""), "timezone": v.get("timezone") or "Asia/Ho_Chi_Minh",
                "language": v.get("language") or "vi", "notes": v.get("notes", ""),
                "search_text": f"{fold(name)} {v['email']}", "sort_key": sort_key(name),
                "feed_token": new_contact_token(), "unsubscribe_token": new_contact_token(),
                "created_at": now, "updated_at": now,
            })
        for contact_id, email in _bulk_insert(Contact.__table__, values, returning=("id", "email")):
            new_ids[email] = contact_id
    for record in creates:
        record.contact_id = new_ids[record.values["email"]]

    # Contacts outside the user's associations get the new links only, never other changes.
    existing = _existing([r.values["email"] for r in updates]) if updates else {}
    signalled: list[int] = []
    update_values = []
    for record in updates:
        current = existing[record.values["email"]]
        if allowed is not None and not current["association_ids"] & allowed:
            continue
        changes = {name: nfc(record.values[name]) for name in TEXT_FIELDS if record.values.get(name)}
        if any(changes.get(name, current[name]) != current[name] for name in services.SIGNALLED_FIELDS):
            signalled.append(record.contact_id)
        row = {**{name: current[name] for name in TEXT_FIELDS}, **changes, "id": record.contact_id}
        renamed = row["full_name"] != current["full_name"]
        row["search_text"] = f"{fold(row['full_name'])} {current['email']}" if renamed else current["search_text"]
        row["sort_key"] = sort_key(row["full_name"]) if renamed else current["sort_key"]
        update_values.append(row)
    _bulk_update(update_values, now)

    links, tags = [], []
    for record in creates + updates:
        had = existing.get(record.values["email"], {"association_ids": set(), "tags": set()})
        links += [{"contact_id": record.contact_id, "association_id": a}
                  for a in record.association_ids if a not in had["association_ids"]]
        tags += [{"contact_id": record.contact_id, "tag": t} for t in record.tags if t not in had["tags"]]
    _bulk_insert(contact_associations, links)
    _bulk_insert(ContactTag.__table__, tags)
    db.session.expire_all()
    for chunk in _chunks(signalled, 1000):
        for contact in db.session.scalars(select(Contact).where(Contact.id.in_(chunk))):
            signals.contact_saved.send(contact)
    counts = result.counts
    return {"created": len(creates), "updated": len(updates), "skipped": counts["skip"], "errors": counts["error"]}


UPDATED_COLUMNS = (*TEXT_FIELDS, "search_text", "sort_key")


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _arrays(table, columns, rows) -> tuple[str, dict]:
    """`unnest(CAST(:c0 AS type[]), …) AS incoming(col, …)` and its parameters: one array per column.

    A few array parameters instead of thousands of bound values: SQLAlchemy and psycopg
    would otherwise spend longer preparing the statement than PostgreSQL spends running it.
    """
    dialect = db.session.get_bind().dialect
    casts, params = [], {}
    for index, name in enumerate(columns):
        sql_type = table.c[name].type.dialect_impl(dialect)
        sql_type = getattr(sql_type, "impl", sql_type)
        casts.append(f"CAST(:c{index} AS {sql_type.compile(dialect=dialect)}[])")
        params[f"c{index}"] = [row[name] for row in rows]
    return f"unnest({', '.join(casts)}) AS incoming({', '.join(columns)})", params


def _bulk_insert(table, rows: list[dict], returning: tuple[str, ...] = ()) -> list:
    """INSERT many rows (all with the same keys): on PostgreSQL one INSERT … SELECT FROM unnest per 5,000."""
    result = []
    for chunk in _chunks(rows):
        if not _postgresql():
            statement = insert(table)
            if returning:
                statement = statement.returning(*(table.c[name] for name in returning))
            executed = db.session.execute(statement, chunk)
            result += executed.all() if returning else []
            continue
        columns = list(chunk[0])
        source, params = _arrays(table, columns, chunk)
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM {source}"
        if returning:
            sql += f" RETURNING {', '.join(returning)}"
        executed = db.session.execute(text(sql), params)
        result += executed.all() if returning else []
    return result


UPDATED_COLUMNS = ("id", *TEXT_FIELDS, "search_text", "sort_key")


def _bulk_update(rows: list[dict], now) -> None:
    """UPDATE contacts from complete rows: on PostgreSQL one UPDATE … FROM unnest per 5,000 rows."""
    if not _postgresql():
        for chunk in _chunks(rows, 2000):
            db.session.execute(update(Contact), [{**row, "updated_at": now} for row in chunk])
        return
    for chunk in _chunks(rows):
        source, params = _arrays(Contact.__table__, UPDATED_COLUMNS, chunk)
        assignments = ", ".join(f"{name} = incoming.{name}" for name in UPDATED_COLUMNS if name != "id")
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


def batch_preview(batch: ImportBatch, user) -> Preview:
    return preview(batch.headers, batch.rows, batch.mapping, user, batch.association)


def confirm_batch(batch: ImportBatch, user, *, valid_only: bool) -> dict[str, int]:
    """Check the rows again and write them; the caller commits."""
    if batch.imported_at is not None:
        raise ImportRefused(_l("This file has already been imported."))
    result = batch_preview(batch, user)
    counts = apply(result, valid_only=valid_only, user=user)
    batch.summary = {**counts, "error_report": error_report_csv(result) if result.has_errors else ""}
    batch.imported_at = utcnow()
    batch.rows = []  # the data is in the directory now
    return counts


def check_file(filename: str, data: bytes, user, association: Association | None = None) -> Preview:
    """Parse and check a file with the automatic header mapping (the API and CLI path); writes nothing."""
    headers, rows = parse_file(filename, data)
    mapping = guess_mapping(headers)
    problems = mapping_problems(headers, mapping)
    if problems:
        raise ImportFileError(" ".join(problems))
    return preview(headers, rows, mapping, user, association)


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
        yield [contact.full_name, contact.email, contact.phone, contact.country, contact.place, contact.timezone,
               contact.language, ";".join(slugs), contact.notes, ";".join(contact.tag_names)]


def export_csv(contacts: Iterable[Contact], visible_association_ids: set[int] | None) -> bytes:
    return spreadsheets.csv_bytes(export_rows(contacts, visible_association_ids))


def export_xlsx(contacts: Iterable[Contact], visible_association_ids: set[int] | None) -> bytes:
    return spreadsheets.xlsx_bytes("Danh bạ", export_rows(contacts, visible_association_ids))
