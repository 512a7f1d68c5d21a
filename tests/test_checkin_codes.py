"""Door QR codes are made once per invitation, on a worker after invitees are added, and every e-mail of
the invitation carries the stored one; a code made for another link is never used."""
from __future__ import annotations

import email
import io
import time
from email import policy

import zxingcpp
from PIL import Image
from sqlalchemy import select

from eventsapp import links
from eventsapp.extensions import db as _db
from eventsapp.invitations import checkin_codes, services
from eventsapp.invitations.models import CheckinCode, Invitation
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.mail.sender import Recorder, render_batch
from eventsapp.qr import qr_png
from tests.factories import ContactFactory, EventFactory, InvitationFactory


def decoded(png: bytes) -> str:
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return barcode.text


def qr_in_mail(mail) -> bytes:
    parsed = email.message_from_bytes(bytes(mail), policy=policy.default)
    [image] = [p for p in parsed.walk() if p.get_content_type() == "image/png"]
    return image.get_content()


def sent_invitations(db, event) -> list:
    """The event's invitation e-mails as the sender renders them (one batch)."""
    services.send_invitations(event.id)
    db.session.commit()
    ids = list(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.event_id == event.id,
                                                                OutboxMessage.kind == MessageKind.INVITATION)
                                  .order_by(OutboxMessage.id)))
    db.session.expunge_all()  # the sender loads its rows afresh
    return [item.email for item in render_batch(ids, Recorder())]


def test_prepared_codes_open_each_invitees_check_in_and_are_made_once(db):
    event = EventFactory()
    invitations = [InvitationFactory(event=event, contact=ContactFactory()) for _ in range(3)]
    revoked = InvitationFactory(event=event, revoked_at=event.starts_at)
    db.session.commit()

    assert checkin_codes.prepare_event(event.id) == 3
    assert checkin_codes.prepare_event(event.id) == 0  # nothing left to make
    codes = {code.invitation_id: code for code in db.session.scalars(select(CheckinCode))}
    assert set(codes) == {i.id for i in invitations} and revoked.id not in codes
    for invitation in invitations:
        assert codes[invitation.id].url == links.checkin_url(invitation)
        assert decoded(codes[invitation.id].png) == links.checkin_url(invitation)


def test_the_e_mail_carries_the_stored_code(db):
    event = EventFactory()
    InvitationFactory(event=event)
    db.session.commit()
    checkin_codes.prepare_event(event.id)
    # A stored code is used as it is: stand in a different (valid) PNG for it to see which one goes out.
    stand_in = qr_png("stored-code-marker")
    db.session.execute(CheckinCode.__table__.update().values(png=stand_in))
    db.session.commit()

    [mail] = sent_invitations(db, event)
    assert qr_in_mail(mail) == stand_in


def test_a_code_made_for_another_link_is_not_used_and_is_made_again(db, app):
    event = EventFactory()
    invitation = InvitationFactory(event=event)
    db.session.commit()
    checkin_codes.prepare_event(event.id)
    old_url, base_url = links.checkin_url(invitation), app.config["BASE_URL"]
    app.config["BASE_URL"] = "https://su-kien.hoi-huu-nghi.vn"  # the association moved to its own domain
    try:
        new_url = links.checkin_url(_db.session.get(Invitation, invitation.id))
        assert new_url != old_url
        [mail] = sent_invitations(db, event)
        assert decoded(qr_in_mail(mail)) == new_url
        assert checkin_codes.prepare_event(event.id) == 1
        assert _db.session.scalar(select(CheckinCode.url)) == new_url
    finally:
        app.config["BASE_URL"] = base_url


def test_without_a_stored_code_the_e_mail_still_has_the_right_one(db):
    event = EventFactory()
    url = links.checkin_url(InvitationFactory(event=event))
    db.session.commit()
    [mail] = sent_invitations(db, event)
    assert decoded(qr_in_mail(mail)) == url
    assert db.session.scalar(select(CheckinCode)) is None  # the sender writes nothing but its sends


def test_adding_invitees_has_the_worker_make_their_codes(celery_worker, db):
    event = EventFactory()
    contacts = [ContactFactory() for _ in range(4)]
    db.session.commit()
    result = services.add_invitees(event, services.Criteria(contact_ids=[c.id for c in contacts]), user=None)
    db.session.commit()
    assert result.added == 4

    deadline = time.monotonic() + 60
    while db.session.scalar(select(_db.func.count()).select_from(CheckinCode)) < 4:
        db.session.rollback()
        assert time.monotonic() < deadline, "the worker made no door codes"
        time.sleep(0.1)
    for code in db.session.scalars(select(CheckinCode)):
        assert decoded(code.png) == links.checkin_url(_db.session.get(Invitation, code.invitation_id))
