"""Event pages: forms in the event's zone, Vietnamese validation messages, the public page, permissions."""
from datetime import datetime

from flask import g

from eventsapp.associations.models import Role
from eventsapp.events.models import ChangeKind, Event, EventKind, EventStatus, Visibility
from eventsapp.events.services import local_to_utc
from tests.factories import AssociationFactory, ContactFactory, EventFactory, UserFactory, staff


def _form(association, **overrides):
    data = {
        "association_id": association.id, "campaign_id": 0, "kind": "meeting", "visibility": "public",
        "title_vi": "Gặp mặt kiều bào Séc", "title_en": "Meeting compatriots from Czechia",
        "timezone": "Asia/Ho_Chi_Minh", "starts_local": "2027-01-15T19:00", "ends_local": "2027-01-15T21:00",
        "venue_name": "Nhà văn hóa", "venue_address": "TP Bắc Giang", "max_guests": "1",
        "description_vi": "Chào **Xuân**",
    }
    data.update(overrides)
    return data


def _create(auth, association, **overrides):
    return auth.post("/events/new", _form(association, **overrides))


def test_create_event_in_its_zone_and_round_trip_to_prague(client, auth, db):
    association = AssociationFactory()
    auth.login(staff(association))
    response = _create(auth, association)
    assert response.status_code == 302
    winter = db.session.query(Event).one()
    assert winter.starts_at == datetime(2027, 1, 15, 12, 0, tzinfo=winter.starts_at.tzinfo)  # 19:00 +07 = 12:00 UTC
    response = _create(auth, association, title_vi="Gặp mặt mùa hè", starts_local="2027-07-15T19:00",
                       ends_local="2027-07-15T21:00")
    summer = db.session.query(Event).filter_by(title_vi="Gặp mặt mùa hè").one()
    for event in (winter, summer):
        client.post(f"/events/{event.id}/publish", data={"csrf_token": _token(client, event)})
    winter_page = client.get(f"/e/{winter.slug}?tz=Europe/Prague").text
    assert "Thứ Sáu, 15 tháng 1, 2027, 19:00–21:00 · giờ Việt Nam (UTC+7)" in winter_page
    assert "Thứ Sáu, 15 tháng 1, 2027, 13:00–15:00 · giờ Séc (UTC+1)" in winter_page
    summer_page = client.get(f"/e/{summer.slug}?tz=Europe/Prague").text
    assert "Thứ Năm, 15 tháng 7, 2027, 19:00–21:00 · giờ Việt Nam (UTC+7)" in summer_page
    assert "Thứ Năm, 15 tháng 7, 2027, 14:00–16:00 · giờ Séc (UTC+2)" in summer_page
    # The edit form shows the wall time in the event's zone again.
    edit = client.get(f"/events/{winter.id}/edit").text
    assert 'value="2027-01-15T19:00"' in edit


def _token(client, event):
    from tests.conftest import csrf_token_from

    return csrf_token_from(client.get(f"/events/{event.id}").text)


def test_validation_errors_are_in_vietnamese(auth, db):
    association = AssociationFactory()
    auth.login(staff(association))
    page = _create(auth, association, ends_local="2027-01-15T18:00", capacity="0",
                   rsvp_deadline_local="2027-01-16T08:00", timezone="Europe/Atlantis").text
    assert "Thời gian kết thúc phải sau thời gian bắt đầu." in page
    assert "Sức chứa phải là số dương." in page
    assert "Hạn trả lời phải trước thời gian bắt đầu." in page
    assert "Múi giờ này không tồn tại" in page
    assert db.session.query(Event).count() == 0


def test_a_title_with_a_line_break_is_refused(auth, db):
    association = AssociationFactory()
    auth.login(staff(association))
    for field in ("title_vi", "title_en"):
        page = _create(auth, association, **{field: "Gặp mặt\r\nBcc: evil@example.com"}).text
        assert "Phải viết trên một dòng, không có ký tự điều khiển (như NUL)." in page
    assert db.session.query(Event).count() == 0


def test_validation_errors_in_english_for_english_users(auth, db):
    association = AssociationFactory()
    auth.login(staff(association, locale="en"))
    page = _create(auth, association, ends_local="2027-01-15T18:00").text
    assert "The end must be after the start." in page


def test_all_day_event_spans_whole_local_days(auth, db):
    association = AssociationFactory()
    auth.login(staff(association))
    _create(auth, association, all_day="y", starts_local="2027-02-08T00:00", ends_local="2027-02-09T00:00")
    event = db.session.query(Event).one()
    assert event.all_day
    assert event.starts_at == local_to_utc(datetime(2027, 2, 8), "Asia/Ho_Chi_Minh")
    assert event.ends_at == local_to_utc(datetime(2027, 2, 10), "Asia/Ho_Chi_Minh")


def test_edit_time_bumps_sequence_but_description_edit_does_not(auth, client, db):
    association = AssociationFactory()
    auth.login(staff(association))
    _create(auth, association)
    event = db.session.query(Event).one()
    url = f"/events/{event.id}/edit"
    auth.post(url, _form(association, description_vi="Chào **Xuân** 2027"))
    db.session.refresh(event)
    assert event.sequence == 0
    response = auth.post(url, _form(association, starts_local="2027-01-15T18:00", description_vi="Chào **Xuân** 2027"))
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.sequence == 1 and [c.kind for c in event.changes] == [ChangeKind.TIME]
    page = client.get(f"/events/{event.id}").text
    assert "Chào <strong>Xuân</strong> 2027" in page


def test_cancel_from_the_page(auth, client, db):
    association = AssociationFactory()
    auth.login(staff(association))
    event = EventFactory(association=association)
    response = auth.post(f"/events/{event.id}/cancel", {"reason": "Mưa bão"}, form_url=f"/events/{event.id}")
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.status == EventStatus.CANCELLED and event.sequence == 1
    assert "Sự kiện này đã bị hủy." in client.get(f"/e/{event.slug}").text


def test_public_page_only_for_public_published_events(client, db):
    public = EventFactory(visibility=Visibility.PUBLIC, status=EventStatus.PUBLISHED, description_vi="<script>x()</script>")
    invite_only = EventFactory(visibility=Visibility.INVITE_ONLY, status=EventStatus.PUBLISHED)
    draft = EventFactory(visibility=Visibility.PUBLIC, status=EventStatus.DRAFT)
    page = client.get(f"/e/{public.slug}")
    assert page.status_code == 200 and public.title_vi in page.text
    assert "<script>x()" not in page.text
    assert 'src="/static/js/events.js' in page.text
    assert client.get(f"/e/{invite_only.slug}").status_code == 404
    assert client.get(f"/e/{draft.slug}").status_code == 404
    assert client.get("/e/khong-co").status_code == 404
    assert client.get(f"/e/{public.slug}?tz=Not/AZone").status_code == 200


def test_organiser_cannot_edit_another_associations_event(auth, client, api, db):
    mine, theirs = AssociationFactory(), AssociationFactory()
    organiser = staff(mine)
    event = EventFactory(association=theirs, title_vi="Của hội khác")
    auth.login(organiser)
    assert client.get(f"/events/{event.id}/edit").status_code == 403
    assert client.get(f"/events/{event.id}").status_code == 403
    assert client.post(f"/events/{event.id}/cancel", data={"csrf_token": _csrf(client, "/events/")}).status_code == 403
    forged = client.post("/events/new", data=_form(theirs, csrf_token=_csrf(client)))
    assert forged.status_code in (200, 403) and db.session.query(Event).count() == 1
    response = api(organiser).patch(f"/api/v1/events/{event.id}", json={"title_vi": "Sửa trộm"})
    assert response.status_code == 403
    assert api(organiser).post(f"/api/v1/events/{event.id}/cancel").status_code == 403
    db.session.refresh(event)
    assert event.title_vi == "Của hội khác" and event.status == EventStatus.PUBLISHED


def _csrf(client, url="/events/new"):
    from tests.conftest import csrf_token_from

    return csrf_token_from(client.get(url).text)


def test_organiser_manages_branch_events_and_viewer_only_reads(auth, client, db):
    parent = AssociationFactory()
    branch = AssociationFactory(parent=parent)
    event = EventFactory(association=branch)
    auth.login(staff(parent))
    assert client.get(f"/events/{event.id}/edit").status_code == 200
    viewer = staff(parent, role=Role.VIEWER)
    auth.login(viewer)
    g.pop("_login_user", None)  # the test's app context outlives requests; forget the cached user
    assert client.get(f"/events/{event.id}").status_code == 200
    assert client.get(f"/events/{event.id}/edit").status_code == 403
    assert client.get("/events/new").status_code == 403


def test_admin_sees_every_event_in_list_and_agenda(auth, client, db):
    admin = UserFactory(is_admin=True)
    first = EventFactory(title_vi="Khai mạc Tuần lễ Tết Việt")
    second = EventFactory(title_vi="Lễ trao Bằng khen", starts_at=first.starts_at.replace(hour=1))
    auth.login(admin)
    listing = client.get("/events/").text
    assert first.title_vi in listing and second.title_vi in listing
    agenda = client.get("/events/agenda").text
    assert first.title_vi in agenda and "agenda-day" in agenda


def test_event_page_shows_tabs_and_honorees_with_csv(auth, client, db):
    association = AssociationFactory()
    auth.login(staff(association))
    event = EventFactory(association=association, kind=EventKind.AWARD_CEREMONY)
    contact = ContactFactory(full_name="Phạm Thị Hằng", email="hang@example.vn", associations=[association])
    response = auth.post(f"/events/{event.id}/honorees", {"contact": "HANG@example.vn", "award": "Bằng khen",
                                                          "citation": "Đóng góp quỹ vắc-xin"},
                         form_url=f"/events/{event.id}")
    assert response.status_code == 302
    page = client.get(f"/events/{event.id}").text
    assert 'class="nav nav-tabs' in page and "Tổng quan" in page
    assert "Phạm Thị Hằng" in page and "Bằng khen" in page
    assert "Phạm Thị Hằng" in client.get(f"/e/{event.slug}").text
    csv_text = client.get(f"/events/{event.id}/honorees.csv").data.decode("utf-8-sig")
    assert "Phạm Thị Hằng,hang@example.vn" in csv_text
    missing = auth.post(f"/events/{event.id}/honorees", {"contact": "nobody@example.vn", "award": "Giấy khen"},
                        form_url=f"/events/{event.id}", follow_redirects=True)
    assert "Không có người liên hệ nào có email này." in missing.text
    assert contact.id


def test_new_anniversary_event_proposes_its_ordinal(auth, client, db):
    from datetime import date

    association = AssociationFactory(name_vi="Hội hữu nghị Việt Nam – Lào", founded_on=date(1996, 7, 18))
    auth.login(staff(association))
    page = client.get(f"/events/new?kind=anniversary&association_id={association.id}").text
    from eventsapp.timeutils import utcnow

    today = utcnow().date()
    year = today.year if date(today.year, 7, 18) >= today else today.year + 1
    assert f'value="Kỷ niệm {year - 1996} năm thành lập Hội hữu nghị Việt Nam – Lào"' in page
    assert f'value="{year}-07-18T09:00"' in page


def test_unparseable_numbers_and_times_are_explained_in_vietnamese(auth, db):
    association = AssociationFactory()
    auth.login(staff(association))
    page = _create(auth, association, capacity="ba trăm", rsvp_deadline_local="hôm qua").text
    assert "Nhập một số nguyên." in page
    assert "Nhập ngày và giờ, ví dụ 2027-02-03 19:00." in page
    assert "Not a valid" not in page
