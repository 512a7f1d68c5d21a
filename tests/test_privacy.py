"""A person's rights (issue 29 B): see, download, correct and erase their data, from their secret link or
through an administrator; erasure leaves nothing of them in any table or file and the event's counts as they were."""
from __future__ import annotations

import io
import json
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from eventsapp.attendance import services as attendance
from eventsapp.attendance.models import CheckIn, Printable
from eventsapp.audit.models import AuditEntry
from eventsapp.contacts.models import Contact
from eventsapp.feeds.models import Feed, FeedKind
from eventsapp.guests.models import EventGuest
from eventsapp.inbound.models import InboundKind, InboundMessage, InboundState
from eventsapp.invitations import services as invitations
from eventsapp.invitations.models import Invitation
from eventsapp.mail.models import OutboxMessage
from eventsapp.privacy.registry import ERASURE_RULES
from tests.conftest import csrf_token_from
from tests.factories import AssociationFactory, ContactFactory, EventFactory, UserFactory

NAME, EMAIL, PHONE = "Trần Thị Riêng Tư", "rieng.tu@example.de", "+49 30 1234567"
STORED_PHONE = "+49301234567"  # as the roll's number is kept (E.164)
COMMENT, GUEST, PASSPORT = "Tôi ăn chay, xin cảm ơn", "Hans Müller-Gast", "C01X12345"
NEEDLES = (NAME, EMAIL, PHONE, STORED_PHONE, COMMENT, GUEST, PASSPORT)


def test_every_table_and_column_has_an_erasure_rule(app, db):
    """A table or a column without a rule fails here: say what erasure does with it, or that it holds no
    personal data (`kept`), in eventsapp/privacy/registry.py."""
    problems = []
    for table in db.metadata.sorted_tables:
        rule = ERASURE_RULES.get(table.name)
        if rule is None:
            problems.append(f"table {table.name}: no rule")
            continue
        ruled = set(rule["personal"]) | set(rule["kept"])
        problems += [f"column {table.name}.{c.name}: no rule" for c in table.columns if c.name not in ruled]
        problems += [f"rule for {table.name}.{name}: no such column" for name in ruled - set(table.columns.keys())]
    assert problems == []


def _traces(db, app) -> list[str]:
    """Every place (table.column, or file) where one of the person's values is still found."""
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            for column, value in row.items():
                text = value.decode("latin-1") + value.decode("utf-8", "replace") if isinstance(value, bytes) \
                    else json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
                found += [f"{table.name}.{column}: {needle}" for needle in NEEDLES if needle in text]
    for folder in (app.config["MAIL_OUTBOX_DIR"], app.config.get("MAIL_INBOX_DIR")):
        for path in Path(folder or "/nonexistent").rglob("*"):
            if path.is_file() and any(n.encode() in path.read_bytes() for n in NEEDLES):
                found.append(f"file {path}")
    return found


def _counts(db, event):
    by_country_language = db.session.execute(
        select(Contact.country, Contact.language, func.count()).join(Invitation, Invitation.contact_id == Contact.id)
        .where(Invitation.event_id == event.id).group_by(Contact.country, Contact.language)
        .order_by(Contact.country)).all()
    return (invitations.status_counts([event.id]), attendance.counters(event), [tuple(r) for r in by_country_language],
            db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.event_id == event.id)))


def test_a_person_imported_invited_answering_and_checked_in_exports_then_erases_their_data(app, db, client, runner,
                                                                                             tmp_path):
    association = AssociationFactory(slug="hoi-duc")
    event = EventFactory(association=association, max_guests=3)
    ContactFactory(full_name="Người khác", email="khac@example.de", country="Đức", associations=[association])
    roll = tmp_path / "roll.csv"
    roll.write_text(f"Họ và tên,Email,Số điện thoại,Quốc gia,Ngôn ngữ\n{NAME},{EMAIL},{PHONE},Đức,vi\n", encoding="utf-8")
    result = runner.invoke(args=["contacts", "import", str(roll), "--association", "hoi-duc", "--basis", "membership"])
    assert result.exit_code == 0, result.output
    person = db.session.scalar(select(Contact).where(Contact.email == EMAIL))
    invitations.add_invitees(event, invitations.Criteria(association_id=association.id), user=None)
    invitations.send_invitations(event.id)
    db.session.commit()
    invitation = db.session.scalar(select(Invitation).where(Invitation.contact_id == person.id))
    rsvp = client.get(f"/rsvp/{invitation.token}")
    answered = client.post(f"/rsvp/{invitation.token}", data={
        "status": "accepted", "guests": "1", "comment": COMMENT, "csrf_token": csrf_token_from(rsvp.text)})
    assert answered.status_code == 303
    db.session.add(EventGuest(event_id=event.id, invitation_id=invitation.id, full_name=GUEST, honorific="",
                              position="", nationality="Đức", passport_number=PASSPORT, language="en"))
    db.session.add(InboundMessage(message_key="k1", source="test", envelope_recipient="reply@eventsapp.test",
                                  from_address=EMAIL, subject="Re: lời mời", size=10, raw=f"From: {EMAIL}".encode(),
                                  state=InboundState.DONE, kind=InboundKind.HUMAN, body_text=COMMENT,
                                  contact_id=person.id, invitation_id=invitation.id, event_id=event.id))
    db.session.add(Feed(kind=FeedKind.PERSONAL, subject_id=person.id, body=f"SUMMARY:{NAME}".encode()))
    db.session.add(Printable(event_id=event.id, kind="door_list", state="done", content=NAME.encode(),
                             options={"names": [NAME]}))
    attendance.check_in_invitation(invitation)
    db.session.commit()
    outbox_file = Path(app.config["MAIL_OUTBOX_DIR"]) / "1.eml"
    outbox_file.write_bytes(f"To: {EMAIL}\r\n\r\nhello".encode())

    # From the RSVP page to the person's data page; everything held is on it and in the downloads.
    page = client.get(f"/rsvp/{invitation.token}/privacy", follow_redirects=True)
    assert page.status_code == 200 and "Dữ liệu của Quý vị" in page.text
    assert NAME in page.text and EMAIL in page.text and COMMENT in page.text and GUEST in page.text
    data = client.get(f"/privacy/{person.unsubscribe_token}/data.json").json
    assert data["contact"]["full_name"] == NAME and data["contact"]["phone"] == STORED_PHONE
    assert data["contact"]["country"] == "Đức" and data["contact"]["associations"]
    assert [(c["purpose"], c["source"], c["basis"], c["granted"]) for c in data["consents"]] == [
        ("invitations", "import", "membership", True)]
    assert data["invitations"][0]["comment"] == COMMENT and data["invitations"][0]["status"] == "accepted"
    assert data["check_ins"] and data["guests"][0]["passport_number"] == PASSPORT
    assert data["messages_sent"][0]["recipient"] == EMAIL and data["messages_received"][0]["text"] == COMMENT
    workbook = load_workbook(io.BytesIO(client.get(f"/privacy/{person.unsubscribe_token}/data.xlsx").data))
    cells = {str(c.value).removeprefix("'") for sheet in workbook for row in sheet.iter_rows() for c in row}
    assert {NAME, EMAIL, STORED_PHONE, COMMENT, GUEST, PASSPORT} <= cells

    before = _counts(db, event)
    old_links = [f"/privacy/{person.unsubscribe_token}", f"/unsubscribe/{person.unsubscribe_token}",
                 f"/rsvp/{invitation.token}", f"/feeds/personal/{person.feed_token}.ics"]
    confirm = client.get(f"/privacy/{person.unsubscribe_token}/erase")
    refused = client.post(f"/privacy/{person.unsubscribe_token}/erase", data={"csrf_token": csrf_token_from(confirm.text)})
    assert refused.status_code == 400 and "Đánh dấu vào ô để xác nhận" in refused.text
    done = client.post(f"/privacy/{person.unsubscribe_token}/erase",
                       data={"confirm": "y", "csrf_token": csrf_token_from(confirm.text)})
    assert done.status_code == 200 and "đã được xóa" in done.text

    db.session.expire_all()
    assert _traces(db, app) == []
    assert _counts(db, event) == before
    for link in old_links:
        assert client.get(link).status_code == 404, link
    erased, = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "person_erased"))
    assert erased.target_id == str(person.id) and erased.details["requested_by"] == "person"
    # The rows of what was sent stay (two invitations and the confirmation), emptied: the send's counts hold.
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


def test_the_person_corrects_their_name_language_and_zone(app, db, client):
    person = ContactFactory(full_name="Tên Cũ", language="vi", associations=[AssociationFactory()])
    page = client.get(f"/privacy/{person.unsubscribe_token}")
    response = client.post(f"/privacy/{person.unsubscribe_token}", data={
        "full_name": "Tên Mới", "language": "en", "timezone": "Europe/Berlin", "csrf_token": csrf_token_from(page.text)})
    assert response.status_code == 303
    db.session.expire_all()
    assert (person.full_name, person.language, person.timezone) == ("Tên Mới", "en", "Europe/Berlin")
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor_id, entry.target_id) == ("person_corrected", None, str(person.id))
    assert entry.details["fields"] == ["full_name", "language", "timezone"]
    assert "Tên Mới" not in json.dumps(entry.details, ensure_ascii=False)
    hostile = client.post(f"/privacy/{person.unsubscribe_token}", data={
        "full_name": "x\r\nBcc: a@b.c", "language": "fr", "timezone": "Mars/Olympus",
        "csrf_token": csrf_token_from(page.text)})
    assert hostile.status_code == 400
    db.session.expire_all()
    assert (person.full_name, person.language, person.timezone) == ("Tên Mới", "en", "Europe/Berlin")


def test_an_administrator_exports_and_erases_on_request(app, db, client, auth):
    admin = UserFactory(is_admin=True)
    person = ContactFactory(full_name=NAME, email=EMAIL, associations=[AssociationFactory()])
    auth.login(admin)
    exported = client.get(f"/contacts/{person.id}/personal-data.json")
    assert exported.status_code == 200 and exported.json["contact"]["email"] == EMAIL
    form = client.get(f"/contacts/{person.id}/erase")
    assert form.status_code == 200
    response = client.post(f"/contacts/{person.id}/erase", data={"confirm": "y", "csrf_token": csrf_token_from(form.text)})
    assert response.status_code == 303
    db.session.expire_all()
    assert person.erased_at is not None and person.full_name == "—" and person.email is None
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-2:] == ["person_exported", "person_erased"]
    assert client.get(f"/contacts/{person.id}/erase").status_code == 404
