"""Answers given by phone or in person, recorded from the invitation list in two clicks, and printed cards
handed over (issue 26): who recorded it, how and when are kept; the invitee's own later answer is theirs."""
from __future__ import annotations

from sqlalchemy import select

from eventsapp.invitations import services
from eventsapp.invitations.models import Invitation, InvitationStatus
from tests.factories import ContactFactory, EventFactory, InvitationFactory, staff
from tests.support.browser import sign_in


def _invitation(db):
    event = EventFactory()
    invitation = InvitationFactory(event=event, contact=ContactFactory(full_name="Hoàng Văn Sơn", email=None,
                                                                       phone="+84912345678", honorific="Ông"))
    organiser = staff(event.association, name="Chị Lan")
    db.session.commit()
    return event, invitation, organiser


def test_an_answer_by_phone_is_recorded_with_who_and_how(auth, db):
    event, invitation, organiser = _invitation(db)
    auth.login(organiser)
    page = f"/events/{event.id}/invitations"
    done = auth.post(f"{page}/{invitation.id}/answer", {"status": "accepted", "source": "phone"}, form_url=page,
                     follow_redirects=True)
    assert "Đã ghi cho Hoàng Văn Sơn: " in done.text and "(Qua điện thoại)" in done.text
    assert "do Chị Lan ghi" in done.text
    db.session.expire_all()
    recorded = db.session.get(Invitation, invitation.id)
    assert (recorded.status, recorded.answer_source, recorded.answered_by_id) == \
        (InvitationStatus.ACCEPTED, "phone", organiser.id)
    assert recorded.answered_at is not None
    # In person, in English.
    auth.client.get("/lang/en")
    done = auth.post(f"{page}/{invitation.id}/answer", {"status": "declined", "source": "in_person"}, form_url=page,
                     follow_redirects=True)
    assert "Recorded for Hoàng Văn Sơn: " in done.text and "(In person)" in done.text and "recorded by Chị Lan" in done.text
    # The invitee's own answer later is theirs: no staff member is named for it.
    services.answer(db.session.get(Invitation, invitation.id), "tentative")
    db.session.commit()
    db.session.expire_all()
    own = db.session.get(Invitation, invitation.id)
    assert (own.status, own.answer_source, own.answered_by_id) == (InvitationStatus.TENTATIVE, None, None)


def test_recording_refuses_a_missing_token_and_hostile_values_and_changes_nothing(auth, db):
    event, invitation, organiser = _invitation(db)
    auth.login(organiser)
    page = f"/events/{event.id}/invitations"
    without_token = auth.client.post(f"{page}/{invitation.id}/answer", data={"status": "accepted", "source": "phone"})
    assert without_token.status_code == 400
    assert auth.client.post(f"{page}/{invitation.id}/card", data={}).status_code == 400
    for values in ({"status": "accepted", "source": "fax"}, {"status": "=cmd", "source": "phone"},
                   {"status": "javascript:alert(1)"}, {"status": "x" * 10_000, "source": "phone"},
                   {"status": "accepted", "source": "phone\r\nin_person"}, {}):
        answer = auth.post(f"{page}/{invitation.id}/answer", values, form_url=page, follow_redirects=True)
        assert answer.status_code in (200, 400), values
    db.session.expire_all()
    untouched = db.session.get(Invitation, invitation.id)
    assert (untouched.status, untouched.answer_source, untouched.card_handed_at) == (InvitationStatus.PENDING, None,
                                                                                      None)
    # Another association's organiser: refused.
    other = staff(EventFactory().association)
    db.session.commit()
    auth.login(other)
    refused = auth.post(f"{page}/{invitation.id}/answer", {"status": "accepted", "source": "phone"},
                        form_url="/contacts/new")
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.PENDING


def test_the_api_records_how_the_answer_was_given(api, db):
    event, invitation, organiser = _invitation(db)
    client = api(organiser)
    url = f"/api/v1/events/{event.id}/invitations/{invitation.id}/answer"
    refused = client.post(url, json={"status": "accepted", "source": "fax"})
    assert refused.status_code == 400 and "source" in refused.json["error"]["fields"]
    answered = client.post(url, json={"status": "accepted", "source": "in_person"})
    assert answered.status_code == 200 and answered.json["answer_source"] == "in_person"
    assert answered.json["email"] is None
    assert db.session.get(Invitation, invitation.id).answered_by_id == organiser.id


def test_on_a_phone_two_clicks_record_an_answer_and_one_marks_the_card(live_server, phone_page, db):
    event, invitation, organiser = _invitation(db)
    db.session.commit()
    page = phone_page
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/{event.id}/invitations")
    opener = page.get_by_text("Ghi trả lời qua điện thoại / trực tiếp")
    box = opener.bounding_box()
    assert box["x"] + box["width"] <= 390  # on the screen, without scrolling the table sideways
    opener.click()                                        # 1
    accept = page.get_by_role("button", name="Tham dự", exact=True)
    assert accept.bounding_box()["x"] + accept.bounding_box()["width"] <= 390
    accept.click()                                        # 2
    page.get_by_text("Đã ghi cho Hoàng Văn Sơn").wait_for()
    assert "Qua điện thoại" in page.locator(".answer-source").inner_text()
    assert "do Chị Lan ghi" in page.locator(".answer-source").inner_text()
    page.get_by_text("Ghi trả lời qua điện thoại / trực tiếp").click()
    page.get_by_role("button", name="Đã trao thiệp mời").click()
    page.get_by_text("Đã ghi nhận thiệp mời của Hoàng Văn Sơn đã được trao.").wait_for()
    assert "Đã trao thiệp mời" in page.locator(".card-handed").inner_text()
    db.session.expire_all()
    recorded = db.session.scalar(select(Invitation).where(Invitation.id == invitation.id))
    assert (recorded.status, recorded.answer_source, recorded.answered_by_id) == (InvitationStatus.ACCEPTED,
                                                                                  "phone", organiser.id)
    assert recorded.card_handed_at is not None and recorded.card_handed_by_id == organiser.id
