"""The answers of an event as a spreadsheet: one row a person, the questions (in Vietnamese) as headers.

Invitees first (each followed by their named guests), then delegation members by delegation; the answers
are written as people read them, in Vietnamese, like the other exports. Cells go through
`eventsapp.spreadsheets` (CSV and XLSX alike).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..guests.models import Delegation, EventGuest
from ..invitations.models import STATUS_VI, Invitation
from ..text import sort_key
from . import answers, services

KIND_VI = {"invitee": "Khách mời", "guest": "Khách đi cùng", "member": "Thành viên đoàn"}


def answer_rows(event) -> list[list]:
    questions = services.event_questions(event.id)
    header = ["Loại", "Họ và tên", "Email", "Đoàn", "Trạng thái", *[q.text_vi for q in questions]]
    invitations = sorted(db.session.scalars(select(Invitation).options(joinedload(Invitation.contact))
                                            .where(Invitation.event_id == event.id)),
                         key=lambda i: (sort_key(i.contact.full_name), i.id))
    guests = list(db.session.scalars(select(EventGuest).where(EventGuest.event_id == event.id)
                                     .order_by(EventGuest.id)))
    delegations = {d.id: d for d in db.session.scalars(select(Delegation).where(Delegation.event_id == event.id))}
    by_invitation = services.answers_by_invitation(i.id for i in invitations)
    by_guest = services.answers_by_guest(g.id for g in guests)

    def cells(given: dict) -> list[str]:
        return [answers.shown(q, given.get(q.id), "vi") for q in questions]

    rows = [header]
    for invitation in invitations:
        status = STATUS_VI[invitation.status] + (" (đã thu hồi)" if invitation.revoked_at else "")
        rows.append([KIND_VI["invitee"], invitation.contact.full_name, invitation.contact.email, "", status,
                     *cells(by_invitation.get(invitation.id, {}))])
        for guest in guests:
            if guest.invitation_id == invitation.id:
                rows.append([KIND_VI["guest"], guest.full_name, guest.email or "", "", status,
                             *cells(by_guest.get(guest.id, {}))])
    for guest in guests:
        if guest.delegation_id is not None:
            delegation = delegations.get(guest.delegation_id)
            rows.append([KIND_VI["member"], guest.full_name, guest.email or "", delegation.name if delegation else "",
                         "", *cells(by_guest.get(guest.id, {}))])
    return rows
