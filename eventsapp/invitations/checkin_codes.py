"""Door QR codes, made once per invitation.

An invitation's check-in QR code (the PNG in its e-mails) is made on a worker soon after the invitee is
added — the `invitations.prepare_checkin_codes` task, enqueued when invitations are created — and
stored (`CheckinCode`). Every later e-mail of that invitation (the invitation, updates,
confirmations, reminders, retries), in any worker, carries the stored PNG: encoding a QR code costs about
as much as the rest of a message (bench/mail_send.py).

A code not stored yet, or made for another link (a new base URL or check-in token), is made where it is
needed and not stored there: the mail sender's transactions record sends and nothing else.
"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db, dialect_insert
from ..links import checkin_url
from ..qr import qr_png
from ..timeutils import utcnow
from .models import CheckinCode, Invitation

CHUNK = 500  # codes made and stored per transaction


def checkin_png(invitation) -> bytes:
    """The PNG of the invitation's check-in link: the stored one when it encodes that link."""
    url = checkin_url(invitation)
    code = getattr(invitation, "checkin_code", None)  # previews and test copies render a stand-in invitation
    if code is not None and code.url == url:
        return code.png
    return qr_png(url)


def prepare_event(event_id: int) -> int:
    """Make and store the codes the event's invitations lack (or have for another link), a commit per
    CHUNK; returns how many were made. Two runs at once are harmless: the last write of a code wins."""
    rows = db.session.execute(
        select(Invitation.id, Invitation.checkin_token, CheckinCode.url)
        .outerjoin(CheckinCode, CheckinCode.invitation_id == Invitation.id)
        .where(Invitation.event_id == event_id, Invitation.revoked_at.is_(None)).order_by(Invitation.id)
    ).all()
    db.session.commit()  # no transaction held open while the codes are drawn
    missing = [(row.id, url) for row in rows if (url := checkin_url(row)) != row.url]
    table = CheckinCode.__table__
    statement = dialect_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["invitation_id"],
        set_={"url": statement.excluded.url, "png": statement.excluded.png, "created_at": statement.excluded.created_at})
    for start in range(0, len(missing), CHUNK):
        now = utcnow()
        db.session.execute(statement, [{"invitation_id": invitation_id, "url": url, "png": qr_png(url), "created_at": now}
                                       for invitation_id, url in missing[start:start + CHUNK]])
        db.session.commit()
    return len(missing)
