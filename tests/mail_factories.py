"""Outbox rows for the mail tests: staff notes with Vietnamese words, as a real send would queue."""
from __future__ import annotations

import uuid

from eventsapp.extensions import db
from eventsapp.mail.models import MessageKind
from eventsapp.mail.services import queue_messages

SUBJECT = "Thư mời dự Gặp mặt kiều bào Xuân Quê hương 2027 – Nguyễn Thị Ánh"
TEXT = ("Kính gửi chị Nguyễn Thị Ánh,\n\nHội hữu nghị Việt Nam – Nhật Bản trân trọng kính mời chị đến dự "
        "buổi gặp mặt đầu xuân tại Nhà văn hóa tỉnh Bắc Giang.\n\nTrân trọng.") * 8


def address(n: int, send: str = "") -> str:
    return f"khach{n}.{send}@vi.example.test" if send else f"khach{n}@vi.example.test"


def queue_staff(count: int, *, send_id: str | None = None, event_id: int | None = None, start: int = 0,
                wake: bool = False, payload: dict | None = None) -> str:
    """Queue `count` messages (one send) and commit; returns the send id."""
    send_id = send_id or uuid.uuid4().hex[:12]
    rows = [{"kind": MessageKind.STAFF, "dedupe_key": f"test:{send_id}:{n}", "recipient": address(n, send_id),
             "send_id": send_id, "event_id": event_id,
             "payload": payload if payload is not None else {"subject": SUBJECT, "text": TEXT}}
            for n in range(start, start + count)]
    queue_messages(rows, wake_sender=wake)
    db.session.commit()
    return send_id
