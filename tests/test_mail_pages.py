"""The organiser's e-mail log, retry and resend, the progress endpoint, the development outbox."""
from __future__ import annotations

from sqlalchemy import func, select, update

from eventsapp.associations.models import Role
from eventsapp.extensions import db as _db
from eventsapp.mail.compose import Mail, Multipart, text_part
from eventsapp.mail.models import MessageState, OutboxMessage
from eventsapp.mail.transport import FolderTransport
from tests.factories import AssociationFactory, EventFactory, UserFactory, staff
from tests.mail_factories import SUBJECT, queue_staff


def login(auth, user):
    """Sign in as `user` (auth.login forgets the previously cached user)."""
    auth.login(user)


def sent_send(event, count=3, failed=(), **kwargs):
    send = queue_staff(count, event_id=event.id, **kwargs)
    _db.session.execute(update(OutboxMessage).where(OutboxMessage.send_id == send)
                        .values(state=MessageState.SENT, attempts=1, subject=SUBJECT))
    for n in failed:
        _db.session.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == f"test:{send}:{n}")
                            .values(state=MessageState.FAILED, last_error="550 5.1.1 User unknown"))
    _db.session.commit()
    return send


def test_the_log_lists_who_got_what_with_filters_and_pages(client, auth, db):
    event = EventFactory()
    sent_send(event, count=60, failed=(59,))
    login(auth, staff(event.association, Role.VIEWER))
    page = client.get(f"/events/{event.id}/mail")
    assert page.status_code == 200
    assert SUBJECT in page.text and "550 5.1.1 User unknown" in page.text
    assert "Gửi lại các thư lỗi" not in page.text and "Nhật ký tin nhắn" in page.text  # a viewer may look, not act
    assert 'data-progress-url="/mail/sends/' in page.text and "js/progress.js" in page.text
    failed_only = client.get(f"/events/{event.id}/mail?state=failed")
    assert failed_only.text.count("User unknown") == 1 and failed_only.text.count("@vi.example.test") == 1
    second = client.get(f"/events/{event.id}/mail?page=2")
    assert second.text.count("@vi.example.test") == 10
    assert client.get(f"/events/{event.id}/mail?state=nonsense&kind=x&page=abc").status_code == 200


def test_another_associations_staff_see_nothing(client, auth, db):
    event = EventFactory()
    send = sent_send(event)
    login(auth, staff(AssociationFactory()))
    assert client.get(f"/events/{event.id}/mail").status_code == 403
    assert client.get(f"/mail/sends/{send}/progress").status_code == 403
    assert client.post(f"/events/{event.id}/mail/retry-failed").status_code in (400, 403)


def test_the_organiser_retries_failed_messages_and_resends_one(client, auth, db, app):
    event = EventFactory()
    send = sent_send(event, count=4, failed=(1, 2))
    organiser = staff(event.association)
    viewer = staff(event.association, Role.VIEWER)
    login(auth, viewer)
    assert auth.post(f"/events/{event.id}/mail/retry-failed", form_url=f"/events/{event.id}/mail").status_code == 403
    login(auth, organiser)
    assert "Gửi lại các thư lỗi" in client.get(f"/events/{event.id}/mail").text
    response = auth.post(f"/events/{event.id}/mail/retry-failed", form_url=f"/events/{event.id}/mail",
                         follow_redirects=True)
    assert "Đã đưa lại 2 thư gửi lỗi vào hàng đợi." in response.text
    _db.session.expire_all()
    assert _db.session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.state == MessageState.QUEUED)) == 2
    first = _db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"test:{send}:0")).one()
    response = auth.post(f"/events/{event.id}/mail/{first.id}/resend", form_url=f"/events/{event.id}/mail",
                         follow_redirects=True)
    assert f"Thư gửi {first.recipient} đã được đưa lại vào hàng đợi." in response.text
    copy = _db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"test:{send}:0:resend:1")).one()
    assert copy.state == MessageState.QUEUED and copy.recipient == first.recipient
    other = EventFactory(association=event.association)
    assert auth.post(f"/events/{other.id}/mail/{first.id}/resend", form_url=f"/events/{event.id}/mail").status_code == 404


def test_the_progress_endpoint_counts_by_state(client, auth, db):
    event = EventFactory()
    send = sent_send(event, count=5, failed=(0,))
    queue_staff(2, send_id=send, event_id=event.id, start=5)
    login(auth, staff(event.association, Role.VIEWER))
    body = client.get(f"/mail/sends/{send}/progress").json
    assert body == {"queued": 2, "sending": 0, "sent": 4, "failed": 1, "total": 7, "done": False, "scheduled_for": None,
                    "waiting_for_time": 0, "last_due_at": None,
                    "channels": {"email": {"queued": 2, "waiting_for_time": 0, "sending": 0, "sent": 4,
                                           "delivered": None, "failed": 1, "total": 7}}}
    assert client.get("/mail/sends/nope/progress").status_code == 404


def test_the_development_outbox_shows_messages_sanitised_to_admins_only(client, auth, db, app, tmp_path):
    message = Mail(Multipart("alternative", [
        text_part("Kính gửi chị Ánh"),
        text_part('<p>Xin chào <b>chị Ánh</b></p><script>alert("x")</script><a href="javascript:alert(1)">bấm</a>',
                  "html")]))
    message["Subject"], message["From"], message["To"] = SUBJECT, "no-reply@eventsapp.example.vn", "anh@example.vn"
    with FolderTransport(str(tmp_path)) as transport:
        transport.send(message)
    [name] = [p.name for p in tmp_path.glob("*.eml")]
    app.config.update(SHOW_OUTBOX=True, MAIL_OUTBOX_DIR=str(tmp_path))
    try:
        login(auth, staff(AssociationFactory()))
        assert client.get("/mail/outbox/").status_code == 403
        login(auth, UserFactory(is_admin=True))
        listing = client.get("/mail/outbox/")
        assert SUBJECT in listing.text and "anh@example.vn" in listing.text
        shown = client.get(f"/mail/outbox/{name}")
        assert "<b>chị Ánh</b>" in shown.text and "Kính gửi chị Ánh" in shown.text
        assert "alert(" not in shown.text
        assert client.get("/mail/outbox/..%2Fconfig.py").status_code == 404
        app.config["SHOW_OUTBOX"] = False
        assert client.get("/mail/outbox/").status_code == 404
    finally:
        app.config.update(SHOW_OUTBOX=False)
