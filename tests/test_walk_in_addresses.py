"""Walk-ins registered without an e-mail carry a placeholder address: never invited, sent to or counted as delivered."""
from __future__ import annotations

from sqlalchemy import func, select

from eventsapp.attendance import services as attendance
from eventsapp.invitations import services
from eventsapp.invitations.models import Invitation
from eventsapp.mail.models import OutboxMessage
from eventsapp.mail.services import event_counts, queue_messages
from tests.factories import AssociationFactory, ContactFactory, EventFactory, staff
from tests.support.browser import sign_in


def walk_in(db, event):
    result = attendance.register_walk_in(event, full_name="Khách vãng lai", email="")
    db.session.commit()
    return result


def test_adding_by_association_leaves_walk_ins_out_and_says_so(db, live_server, page):
    association = AssociationFactory()
    past = EventFactory(association=association)
    walk_in(db, past)
    member = ContactFactory(full_name="Hội viên Một", associations=[association])
    event = EventFactory(association=association)
    organiser = staff(association)
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/{event.id}/invitations")
    page.select_option("select[name=association_id]", str(association.id))
    page.click("#add-invitees button[type=submit]")
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert "1 khách vãng lai không có địa chỉ email đã được bỏ qua." in text
    invited = db.session.scalars(select(Invitation.contact_id).where(Invitation.event_id == event.id)).all()
    assert invited == [member.id]
    assert "walk-in.invalid" not in text


def test_no_send_writes_a_message_to_a_placeholder(db):
    association = AssociationFactory()
    event = EventFactory(association=association)
    person = walk_in(db, event)
    contact = person.contact
    ContactFactory(associations=[association])
    result = services.add_invitees(event, services.Criteria(contact_ids=[contact.id], association_id=association.id), user=None)
    assert result.added == 1 and result.no_address == 1
    services.send_invitations(event.id)
    queue_messages([{"kind": "invitation", "dedupe_key": "by-hand", "recipient": contact.email,
                     "contact_id": contact.id, "event_id": event.id}])
    db.session.commit()
    recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert len(recipients) == 1 and not any(r.endswith(".invalid") for r in recipients)
    assert event_counts(event.id)["total"] == 1
    assert db.session.scalar(select(func.count(Invitation.id)).where(Invitation.contact_id == contact.id)) == 0


def test_the_organiser_sees_how_many_contacts_the_filters_match_before_adding(db, live_server, page):
    from tests.factories import InvitationFactory

    association = AssociationFactory(name_vi="Hội Việt – Séc", name_en="Vietnam–Czech Association")
    event = EventFactory(association=association)
    for _ in range(4):
        ContactFactory(language="en", associations=[association])
    ContactFactory(language="vi", associations=[association])
    invited = ContactFactory(language="en", associations=[association])
    InvitationFactory(event=event, contact=invited)
    from eventsapp.timeutils import utcnow
    ContactFactory(language="en", associations=[association], opted_out_at=utcnow())
    organiser = staff(association)
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/{event.id}/invitations?lang=en")
    page.select_option("select[name=association_id]", str(association.id))
    page.select_option("#add-invitees select[name=language]", "en")
    page.click("#add-invitees button[name=count]")
    assert ("These filters match 5 contacts who can be invited: 4 would be added, 1 are invited already. "
            "Not invitable: 1 unsubscribed") in page.locator(".alert").first.inner_text()
    assert db.session.scalar(select(func.count(Invitation.id))) == 1  # counting adds nobody
    # The form keeps what was chosen: adding now adds those 4.
    assert page.locator("#add-invitees select[name=language]").input_value() == "en"
    assert "Vietnam–Czech Association" in page.locator("select[name=association_id]").inner_text()
    page.click("#add-invitees button:has-text('Add')")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Invitation.id))) == 5


def test_the_directory_never_shows_a_walk_ins_placeholder_address(db, client, auth):
    """A walk-in without an e-mail reads "no e-mail", not walkin-…@walk-in.invalid, wherever staff look."""
    import re

    association = AssociationFactory()
    event = EventFactory(association=association)
    contact = walk_in(db, event).contact
    contact.associations.append(association)
    db.session.commit()
    auth.login(staff(association))
    for url in ("/contacts/", f"/contacts/{contact.id}", f"/events/{event.id}/attendance"):
        page = client.get(url).text
        assert "walk-in.invalid" not in page and "walkin-" not in page, url
    seen = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/contacts/").text))
    assert "Khách vãng lai Chưa có email" in seen
