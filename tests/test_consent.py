"""Consent (issue 29 C): the import's basis recorded for every row, unsubscribing recorded as a withdrawal,
and sends that respect it, saying beforehand how many people they leave out and why."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from eventsapp.contacts.models import Contact
from eventsapp.invitations import services as invitations
from eventsapp.invitations.models import Invitation
from eventsapp.mail.models import OutboxMessage
from eventsapp.privacy.models import Basis, ContactConsent, Purpose, Source
from tests.conftest import csrf_token_from
from tests.factories import AssociationFactory, ContactFactory, EventFactory, UserFactory, staff


def _consents(db, email):
    db.session.expire_all()
    contact = db.session.scalar(select(Contact).where(Contact.email == email))
    return [(c.purpose, c.granted, c.source, c.basis) for c in db.session.scalars(
        select(ContactConsent).where(ContactConsent.contact_id == contact.id).order_by(ContactConsent.id))]


def test_the_import_records_its_basis_for_every_row_and_a_roll_without_basis_is_not_sent(app, db, runner, tmp_path,
                                                                                         auth, client):
    association = AssociationFactory(slug="hoi-a")
    roll = tmp_path / "roll.csv"
    roll.write_text("Họ và tên,Email\nAn,an@example.vn\nBình,binh@example.vn\n", encoding="utf-8")
    assert runner.invoke(args=["contacts", "import", str(roll), "--association", "hoi-a",
                               "--basis", "none"]).exit_code == 0
    other = tmp_path / "other.csv"
    other.write_text("Họ và tên,Email\nChi,chi@example.vn\n", encoding="utf-8")
    assert runner.invoke(args=["contacts", "import", str(other), "--association", "hoi-a",
                               "--basis", "consent"]).exit_code == 0
    legacy = ContactFactory(email="cu@example.vn", associations=[association])
    assert _consents(db, "an@example.vn") == [(Purpose.INVITATIONS, False, Source.IMPORT, Basis.NONE)]
    assert _consents(db, "chi@example.vn")[0] == (Purpose.INVITATIONS, True, Source.IMPORT, Basis.CONSENT)
    assert _consents(db, legacy.email) == []

    event = EventFactory(association=association)
    invitations.add_invitees(event, invitations.Criteria(association_id=association.id), user=None)
    db.session.commit()
    organiser = staff(association)
    auth.login(organiser)
    page = client.get(f"/events/{event.id}/invitations")
    assert "2 khách mời sẽ không được gửi thư mời" in page.text
    assert "1 khách mời chưa có ghi nhận đồng ý" in page.text
    _, queued = invitations.send_invitations(event.id)
    db.session.commit()
    assert queued == 2
    assert set(db.session.scalars(select(OutboxMessage.recipient))) == {"chi@example.vn", "cu@example.vn"}
    held_back = db.session.scalar(select(Invitation).join(Contact).where(Contact.email == "an@example.vn"))
    with pytest.raises(invitations.InvitationError):
        invitations.resend(held_back)


def test_reminders_follow_the_invitations_decision_until_the_person_decides_about_them(app, db):
    from eventsapp.privacy import consent

    contact = ContactFactory()
    allows = lambda purpose: consent.allows(contact, purpose)  # noqa: E731
    consent.record([contact.id], [Purpose.INVITATIONS], granted=True, source=Source.IMPORT, basis=Basis.MEMBERSHIP)
    assert allows(Purpose.INVITATIONS) and allows(Purpose.REMINDERS)
    consent.record_one(contact, [Purpose.REMINDERS], granted=False, source=Source.PRIVACY_PAGE)
    assert allows(Purpose.INVITATIONS) and not allows(Purpose.REMINDERS)
    consent.record_one(contact, [Purpose.INVITATIONS], granted=False, source=Source.STAFF_PHONE)
    assert not allows(Purpose.INVITATIONS) and not allows(Purpose.REMINDERS)


def test_consent_required_holds_back_people_without_a_record(app, db, monkeypatch):
    association = AssociationFactory()
    ContactFactory(email="cu@example.vn", associations=[association])
    event = EventFactory(association=association)
    invitations.add_invitees(event, invitations.Criteria(association_id=association.id), user=None)
    db.session.commit()
    monkeypatch.setitem(app.config, "CONSENT_REQUIRED", True)
    counts = invitations.consent_before_send(event)
    assert (counts.withdrawn, counts.unrecorded, counts.held_back) == (0, 1, 1)
    assert invitations.send_invitations(event.id)[1] == 0


def test_the_import_page_asks_for_the_basis_once(app, db, auth, client):
    association = AssociationFactory(slug="hoi-b")
    auth.login(UserFactory(is_admin=True))
    upload = auth.post("/contacts/import", {"association_id": str(association.id), "file": (
        __import__("io").BytesIO("Họ và tên,Email\nDũng,dung@example.vn\n".encode()), "roll.csv")},
        form_url="/contacts/import", content_type="multipart/form-data", follow_redirects=True)
    assert "Vì sao Hội được phép gửi thư cho những người trong danh sách này?" in upload.text
    url = upload.request.path
    missing = client.post(url, data={"csrf_token": csrf_token_from(upload.text)})
    assert missing.status_code == 200 and "Xin chọn lý do" in missing.text
    assert db.session.scalar(select(Contact).where(Contact.email == "dung@example.vn")) is None
    client.post(url, data={"basis": "membership", "csrf_token": csrf_token_from(upload.text)})
    assert _consents(db, "dung@example.vn")[0] == (Purpose.INVITATIONS, True, Source.IMPORT, Basis.MEMBERSHIP)


def test_unsubscribing_is_recorded_as_a_withdrawal(app, db, client):
    contact = ContactFactory(email="ngung@example.vn")
    page = client.get(f"/unsubscribe/{contact.unsubscribe_token}")
    assert "Dữ liệu của Quý vị: xem, sửa hoặc xóa" in page.text
    client.post(f"/unsubscribe/{contact.unsubscribe_token}", data={"List-Unsubscribe": "One-Click"})
    assert {(p, granted, source) for p, granted, source, _ in _consents(db, "ngung@example.vn")} == {
        (purpose, False, Source.UNSUBSCRIBE) for purpose in Purpose}


def test_the_person_gives_and_withdraws_consent_on_their_data_page(app, db, client):
    contact = ContactFactory(email="tu-chon@example.vn")
    page = client.get(f"/privacy/{contact.unsubscribe_token}")
    assert "Tôi đồng ý nhận thư mời của Hội" in page.text
    token = csrf_token_from(page.text)
    client.post(f"/privacy/{contact.unsubscribe_token}/consent", data={"invitations": "y", "csrf_token": token})
    assert _consents(db, "tu-chon@example.vn") == [
        (Purpose.INVITATIONS, True, Source.PRIVACY_PAGE, Basis.CONSENT)]
    client.post(f"/privacy/{contact.unsubscribe_token}/consent", data={"csrf_token": token})
    assert _consents(db, "tu-chon@example.vn")[-1] == (Purpose.INVITATIONS, False, Source.PRIVACY_PAGE, Basis.CONSENT)
    assert len(_consents(db, "tu-chon@example.vn")) == 2  # reminders and newsletter were never given: unchanged
