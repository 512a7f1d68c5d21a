"""The received-mail page says whether mail that comes back is set up, where it is read from, and how
to set it up when it is not."""
from __future__ import annotations

import re

from tests.factories import UserFactory


def seen(client) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/mail/inbound").text))


def test_not_set_up_says_so_and_how(app, client, auth, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_REPLY_ADDRESS", None)
    monkeypatch.setitem(app.config, "MAIL_INBOX_URL", None)
    auth.login(UserFactory(is_admin=True))
    page = seen(client)
    assert "Chưa cài đặt nhận thư trả về." in page
    assert "MAIL_REPLY_ADDRESS" in page and "MAIL_INBOX_URL" in page and "flask --app eventsapp mail receive" in page


def test_set_up_says_where_mail_comes_back_and_where_it_is_read(app, client, auth, db, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "MAIL_REPLY_ADDRESS", "rsvp@eventsapp.test")
    monkeypatch.setitem(app.config, "MAIL_INBOX_URL", "imaps://hop-thu:mat-khau-bi-mat@imap.example.vn/INBOX")
    auth.login(UserFactory(is_admin=True))
    page = seen(client)
    assert "Thư trả về được gửi đến rsvp@eventsapp.test" in page
    assert "hộp thư INBOX trên imap.example.vn" in page
    assert "mat-khau-bi-mat" not in page and "Chưa cài đặt" not in page
    monkeypatch.setitem(app.config, "MAIL_INBOX_URL", None)
    monkeypatch.setitem(app.config, "MAIL_INBOX_DIR", str(tmp_path / "inbox"))
    assert f"thư mục {tmp_path / 'inbox'}" in seen(client)
