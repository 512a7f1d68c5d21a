"""Checking an import's rows: what each would do (create / update / unchanged / not for you / error), without writing.

`preview` reads every cell as people write it (`values`), names associations in words in every message,
and sorts the errors by kind so that a page can show each kind once with its first rows. An organiser may
choose to keep only the associations she manages (`only_mine`): the others are left out, and a row that
named only others is not imported ("ignore"), counted rather than listed.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ARRAY, Integer, String, any_, bindparam, select

from .. import validation
from ..associations.models import Association
from ..extensions import db
from ..i18n import current_locale
from ..i18n import lazy_gettext as _l
from ..text import fold, has_control_characters
from . import services, values
from .models import Contact, ContactTag, contact_associations

CHUNK = 5000
TEXT_FIELDS = ("full_name", "phone", "honorific", "position", "postal_address", "preferred_channel", "country", "place",
               "timezone", "language", "notes")
# What the contacts table holds (full_name also bounded by its Vietnamese sort key, at most 400 characters).
FIELD_MAX_LENGTHS = {"full_name": 130, "phone": 50, "country": 100, "place": 200, "notes": 10_000,
                     **services.TEXT_MAX}
# One-line cells a letter's greeting is made of: no line break or control character.
ONE_LINE_FIELDS = ("honorific", "position")
ACTIONS = ("create", "update", "skip", "ignore", "error")
# Each kind of error, as a heading over the rows that have it (in this order).
ERROR_KINDS = {
    "association_not_managed": _l("Associations you do not manage"),
    "association_unknown": _l("Associations not found"),
    "no_association": _l("No association of yours named"),
    "not_yours": _l("Addresses that cannot be added here"),
    "no_reach": _l("No e-mail, phone number or postal address"),
    "email_invalid": _l("Not a valid e-mail address"),
    "email_repeated": _l("The same e-mail address twice in the file"),
    "phone_invalid": _l("Not a phone number"),
    "phone_repeated": _l("The same phone number twice in the file"),
    "phone_taken": _l("Phone number of another contact"),
    "channel": _l("Channel not understood"),
    "name_missing": _l("Full name missing"),
    "name_control": _l("Line breaks or control characters in the name"),
    "line_control": _l("Line breaks or control characters in a form of address or position"),
    "timezone": _l("Time zone not understood"),
    "language": _l("Language not understood"),
    "too_long": _l("Cell too long"),
    "nul": _l("Character that cannot be stored"),
}


@dataclass(slots=True)
class RowResult:
    number: int  # the row number in the spreadsheet (the header is row 1)
    action: str  # one of ACTIONS
    values: dict
    # Empty tuples until something is added: a roll of 100,000 rows holds 100,000 of these.
    errors: list[tuple[str, str]] | tuple = ()  # (column header, message)
    kinds: list[str] | tuple = ()  # each error's kind (ERROR_KINDS), in step with `errors`
    contact_id: int | None = None
    association_ids: list[int] | tuple = ()
    tags: list[str] | tuple = ()
    left_out: list[str] | tuple = ()  # names of associations she chose to leave out
    signalled: bool = False  # an update that changes the name, language or zone (feeds show them)
    stored_email: str | None = None  # an update's stored address, for the search text when the row has none

    def fail(self, column: str, kind: str, message) -> None:
        self.errors = [*self.errors, (column, str(message))]
        self.kinds = [*self.kinds, kind]


@dataclass
class ErrorGroup:
    """One kind of error: its heading, how many rows have it, and the first of them."""

    kind: str
    label: str
    count: int
    first: list[tuple[int, str, str]]  # (row, column, message)


@dataclass
class Preview:
    headers: list[str]
    rows: list[RowResult]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for row in self.rows:
            counts[row.action] += 1
        return counts

    @property
    def errors(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)

    @property
    def left_out_count(self) -> int:
        """Rows imported without some of the associations they named (she chose to keep only hers)."""
        return sum(1 for row in self.rows if row.left_out and row.action != "ignore")

    def error_groups(self, shown: int = 5) -> list[ErrorGroup]:
        """The errors by kind (ERROR_KINDS order), each with its count and its first `shown` rows."""
        groups: dict[str, ErrorGroup] = {}
        for row in self.rows:
            for (column, message), kind in zip(row.errors, row.kinds, strict=True):
                group = groups.setdefault(kind, ErrorGroup(kind, str(ERROR_KINDS[kind]), 0, []))
                group.count += 1
                if len(group.first) < shown:
                    group.first.append((row.number, column, message))
        return sorted(groups.values(), key=lambda group: list(ERROR_KINDS).index(group.kind))


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def existing(emails: list[str], phones: list[str] = ()) -> tuple[dict[str, dict], dict[str, dict]]:
    """Existing contacts by e-mail and by phone as plain dicts (id, the compared fields, association ids, tags):
    four Core SELECTs per 5,000, no ORM objects."""
    by_id: dict[int, dict] = {}
    connection = db.session.connection()
    columns = [Contact.id, Contact.email, *(getattr(Contact, name) for name in TEXT_FIELDS)]
    # By e-mail first; then only the numbers those contacts do not already hold (a re-import reads each contact
    # once). `phone <> ''` lets PostgreSQL use the partial unique index on phones (uq_contacts_phone).
    for column, present in ((Contact.email, Contact.email.is_not(None)), (Contact.phone, Contact.phone != "")):
        if column is Contact.email:
            wanted = list(emails)
        else:
            known = {c["phone"] for c in by_id.values() if c["phone"]}
            wanted = [phone for phone in phones if phone not in known]
        for chunk in chunks(wanted):
            for row in connection.execute(select(*columns).where(present, _among(column, chunk, String))):
                by_id.setdefault(row.id, {**row._mapping, "association_ids": set(), "tags": set()})
    for chunk in chunks(list(by_id)):
        for contact_id, association_id in connection.execute(
                select(contact_associations.c.contact_id, contact_associations.c.association_id)
                .where(_among(contact_associations.c.contact_id, chunk, Integer))):
            by_id[contact_id]["association_ids"].add(association_id)
        for contact_id, tag in connection.execute(
                select(ContactTag.contact_id, ContactTag.tag).where(_among(ContactTag.contact_id, chunk, Integer))):
            by_id[contact_id]["tags"].add(tag)
    return ({c["email"]: c for c in by_id.values() if c["email"]},
            {c["phone"]: c for c in by_id.values() if c["phone"]})


def _among(column, values: list, item_type):
    """`column IN values`: on PostgreSQL `= ANY(:array)`, one parameter instead of thousands to render and parse."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(item_type)))
    return column.in_(values)


class _Associations:
    """The associations a cell may name — by short name, or by name in Vietnamese or English, in any case
    and with or without diacritics — and their names in the reader's language for messages."""

    def __init__(self):
        self.by_key: dict[str, int] = {}
        self.names: dict[int, str] = {}
        locale = current_locale()
        rows = db.session.execute(select(Association.id, Association.slug, Association.name_vi, Association.name_en))
        for id_, slug, name_vi, name_en in rows:
            self.names[id_] = (name_en if locale == "en" and name_en else name_vi) or slug
            self.by_key.setdefault(slug, id_)
            for name in (slug, name_vi or "", name_en or ""):
                if key := _association_key(name):
                    self.by_key.setdefault(key, id_)

    def find(self, text: str) -> int | None:
        return self.by_key.get(text) or self.by_key.get(_association_key(text))

    def words(self, ids: Iterable[int]) -> str:
        return ", ".join(self.names[id_] for id_ in ids)


# Words around an association's name that people leave out or add ("Hội hữu nghị …", "… Friendship Association").
_ASSOCIATION_WORDS = re.compile(r"^(?:hoi huu nghi|hoi)\s+|\s+(?:friendship association|friendship society|association)$")


def _association_key(text: str) -> str:
    """A name as compared: no case, diacritics, dashes or the words "Hội hữu nghị" ("viet nam nhat ban")."""
    words = " ".join(re.sub(r"[-–—_/]", " ", fold(text)).split())
    return _ASSOCIATION_WORDS.sub("", words)


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.replace(",", ";").split(";") if part.strip()]


def preview(headers: list[str], rows: list[list[str]], mapping: dict[str, str], user,
            extra_association: Association | None = None, *, only_mine: bool = False,
            consume: bool = False) -> Preview:
    """What importing `rows` would do, row by row, without writing anything.

    `consume`: the caller hands `rows` over; each row's list is emptied once its cells are read, so a large
    roll is not held twice (the import's peak memory)."""
    column_of = {name: int(index) for index, name in mapping.items()}
    header_of = {name: headers[index] for name, index in column_of.items()}
    associations = _Associations()
    allowed = services.manageable_association_ids(user) if user is not None else None
    zones: dict[str, str | None] = {}  # a roll repeats a few zones and languages: read each once
    languages: dict[str, str | None] = {}
    records = []
    for offset, row in enumerate(rows):
        cells = {name: row[index] if index < len(row) else "" for name, index in column_of.items()}
        cells["email"] = services.normalise_email(cells.get("email"))
        cells["full_name"] = " ".join(cells.get("full_name", "").split())
        records.append(RowResult(number=offset + 2, action="create", values=cells))
        if consume:
            row.clear()
    first_row_of: dict[str, int] = {}
    for chunk in chunks(records):
        for record in chunk:
            _read_phone(record, header_of)
        # The stored contacts are read a chunk at a time, as plain values: a re-import of a large roll
        # never holds every contact at once.
        found = existing(sorted({r.values["email"] for r in chunk if r.values["email"]}),
                         sorted({r.values["phone"] for r in chunk if r.values.get("phone")}))
        for record in chunk:
            _check_row(record, found, header_of, first_row_of, associations, allowed, extra_association,
                       only_mine, zones, languages)
    return Preview(headers=headers, rows=records)


def _read_phone(record: RowResult, header_of: dict[str, str]) -> None:
    """The row's phone in E.164 (validation.phone, as the form and the API read it); a number it cannot read
    is the row's error, and the cell is then left out of every comparison."""
    written = record.values.get("phone")
    if not written:
        return
    try:
        record.values["phone"] = validation.phone(written)
    except validation.Invalid:
        record.values["phone"] = ""
        record.fail(header_of["phone"], "phone_invalid",
                    _l("Not a phone number: %(phone)s (write digits, such as 0912 345 678 or +84 912 345 678)",
                       phone=written[:60]))


def _find_current(record: RowResult, found: tuple[dict, dict], header_of: dict[str, str],
                  allowed: set[int] | None) -> dict | None:
    """The stored contact the row is about: by its e-mail, else by its phone (None: a new contact). A phone that
    is another contact's than the e-mail's is the row's error; a contact no association of the importer holds
    is refused in words that name no one, and nothing of it shapes the answer (docs/architecture.md,
    "Contact sharing")."""
    cells = record.values
    by_email, by_phone = found
    email, phone = cells.get("email"), cells.get("phone")
    by_address = by_email.get(email) if email else None
    by_number = by_phone.get(phone) if phone else None
    candidates = [(by_address, header_of.get("email")), (by_number, header_of.get("phone"))]
    for contact, column in candidates:
        if contact is not None and allowed is not None and not contact["association_ids"] & allowed:
            record.fail(column, "not_yours", services.NOT_YOURS)
            return None
    if by_number is not None and (by_address is not None and by_number["id"] != by_address["id"]
                                  or by_address is None and email and by_number["email"]):
        # Her own contacts both: the number is one person's, the address another's (or a second address).
        record.fail(header_of["phone"], "phone_taken",
                    _l("This phone number is already another contact's. Correct it, or merge the two contacts "
                       "first."))
        return None
    return by_address if by_address is not None else by_number


def _check_row(record: RowResult, found: tuple[dict, dict], header_of: dict[str, str], first_row_of: dict[str, int],
               associations: _Associations, allowed: set[int] | None, extra_association: Association | None,
               only_mine: bool, zones: dict, languages: dict) -> None:
    """Decide one row's action, from its cells and the stored contact with its address (if any)."""
    cells = record.values
    _check_cells(record, header_of, first_row_of)
    if cells.get("timezone"):
        written = cells["timezone"]
        zone = zones[written] if written in zones else zones.setdefault(written, values.read_timezone(written))
        if zone is None:
            record.fail(header_of["timezone"], "timezone", _zone_problem(written))
        else:
            cells["timezone"] = zone
    if cells.get("language"):
        written = cells["language"]
        language = languages[written] if written in languages \
            else languages.setdefault(written, values.read_language(written))
        if language is None:
            record.fail(header_of["language"], "language",
                        _l("Language not understood: %(language)s (write Vietnamese or English)",
                           language=written))
        else:
            cells["language"] = language
    not_managed = _read_associations(record, associations, allowed, extra_association, header_of)
    record.tags = tuple(services.clean_tags(cells.get("tags", "")))
    if not_managed and only_mine:
        record.left_out = [associations.names[id_] for id_ in not_managed]
    elif not_managed:
        record.fail(header_of["associations"], "association_not_managed",
                    _l("You do not manage: %(associations)s", associations=associations.words(not_managed)))
    if cells.get("preferred_channel"):
        channel = values.read_channel(cells["preferred_channel"])
        if channel is None:
            record.fail(header_of["preferred_channel"], "channel",
                        _l("Channel not understood: %(channel)s (write e-mail, SMS, Zalo or printed card)",
                           channel=cells["preferred_channel"][:60]))
        else:
            cells["preferred_channel"] = channel
    current = _find_current(record, found, header_of, allowed)
    if allowed is not None and not record.association_ids and current is None and not record.errors:
        if record.left_out:
            record.action = "ignore"  # only other associations' people: she chose to leave them out
            return
        record.fail(header_of.get("associations", header_of["full_name"]), "no_association",
                    _l("Name at least one association you manage."))
    if record.errors:
        record.action = "error"
    elif current is None:
        record.action = "create"
    else:
        record.contact_id = current["id"]
        record.stored_email = current["email"]
        # The cells are NFC already (importing._cell; the name's spaces joined): compared as they are.
        changed = any(cells.get(name) and cells[name] != current[name] for name in TEXT_FIELDS) \
            or bool(cells.get("email")) and not current["email"] \
            or not set(record.association_ids) <= current["association_ids"] \
            or not set(record.tags) <= current["tags"]
        record.action = "update" if changed else "skip"
        record.signalled = changed and any(cells.get(name) and cells[name] != current[name]
                                           for name in services.SIGNALLED_FIELDS)


def _check_cells(record: RowResult, header_of: dict[str, str], first_row_of: dict[str, int]) -> None:
    """The name, the address and the cells' lengths and characters."""
    cells = record.values
    if not cells["full_name"]:
        record.fail(header_of["full_name"], "name_missing", _l("The full name is missing."))
    elif has_control_characters(cells["full_name"]):
        record.fail(header_of["full_name"], "name_control",
                    _l("The name cannot contain line breaks or control characters."))
    email, phone = cells.get("email", ""), cells.get("phone", "")
    if not email:
        if not phone and not cells.get("postal_address") and "phone_invalid" not in record.kinds:
            record.fail(header_of.get("email") or header_of.get("phone") or header_of["postal_address"], "no_reach",
                        _l("Give an e-mail address, a phone number or a postal address."))
    elif not services.is_valid_email(email):
        record.fail(header_of["email"], "email_invalid", _l("Not a valid e-mail address: %(email)s", email=email))
    elif email in first_row_of:
        record.fail(header_of["email"], "email_repeated",
                    _l("The same e-mail is already on row %(row)s.", row=first_row_of[email]))
    else:
        first_row_of[email] = record.number
    if phone:  # E.164 already (_read_phone); kept apart from the addresses by its "+"
        if phone in first_row_of:
            record.fail(header_of["phone"], "phone_repeated",
                        _l("The same phone number is already on row %(row)s.", row=first_row_of[phone]))
        else:
            first_row_of[phone] = record.number
    for name in ONE_LINE_FIELDS:
        if cells.get(name) and has_control_characters(cells[name]):
            record.fail(header_of[name], "line_control", _l("Must be on one line, without control characters."))
    for name, limit in FIELD_MAX_LENGTHS.items():
        if name in header_of and len(cells.get(name) or "") > limit:
            record.fail(header_of[name], "too_long", _l("Too long: at most %(max)s characters.", max=limit))
    for name, value in cells.items():
        if "\x00" in (value or "") and name in header_of:  # the database cannot store it
            record.fail(header_of[name], "nul", _l("This cell contains a NUL character."))


def _zone_problem(written: str):
    if len(values.zones_of_country(written)) > 1:
        return _l("%(country)s has several time zones: write the city instead (for example Moskva, New York).",
                  country=written)
    return _l("Time zone not understood: %(zone)s. Write a city (Tokyo), a country with one time zone "
              "(Japan) or an offset (UTC+9).", zone=written)


def _read_associations(record: RowResult, associations: _Associations, allowed: set[int] | None,
                       extra_association: Association | None, header_of: dict[str, str]) -> list[int]:
    """Fill `record.association_ids` with the associations it names that the user manages (and the one
    chosen for every row); unknown names are an error; returns the named ones she does not manage."""
    ids = [extra_association.id] if extra_association is not None else []
    unknown, not_managed = [], []
    for text in _split(record.values.get("associations", "")):
        found = associations.find(text)
        if found is None:
            unknown.append(text)
        elif allowed is not None and found not in allowed:
            if found not in not_managed:
                not_managed.append(found)
        elif found not in ids:
            ids.append(found)
    record.association_ids = tuple(ids)
    if unknown:
        record.fail(header_of["associations"], "association_unknown",
                    _l("Unknown association: %(names)s", names=", ".join(unknown)))
    return not_managed
