"""What an SMS says and what a Zalo template is filled with, in the reader's language.

Both carry the short link (`/r/<code>`, links.absolute) to the invitation's RSVP page; an SMS is kept short
(the event's start, not its whole span) because each 70 characters of Vietnamese is another segment to pay.
"""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import force_locale
from sqlalchemy import select

from .. import links
from ..extensions import db, dialect_insert
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..mail.models import MessageKind, OutboxMessage
from ..mail.renderers import load_all
from ..timefmt import event_start_text
from ..timeutils import utcnow
from .models import ShortLink, new_short_code

# What a Zalo template parameter can be filled with (its settings page offers these).
ZALO_SOURCES = {
    "name": _l("Name, with honorific"),
    "event": _l("Event title"),
    "time": _l("Start of the event"),
    "place": _l("Place"),
    "link": _l("Reply link"),
    "association": _l("Association"),
}
# The kinds of message a channel other than e-mail carries (each its own Zalo template).
CHANNEL_KINDS = (MessageKind.INVITATION, MessageKind.REMINDER, MessageKind.UPDATE, MessageKind.CANCELLATION)


# SMS texts of other kinds, written by their domain (`@sms_text_for(MessageKind.REGISTRATION)` in the domain's
# `emails` module, loaded with the e-mail renderers): e.g. a registration's confirmation code.
_SMS_TEXTS: dict[MessageKind, Callable[[OutboxMessage], str]] = {}


def sms_text_for(kind: MessageKind):
    def register(function: Callable[[OutboxMessage], str]):
        _SMS_TEXTS[kind] = function
        return function
    return register


def short_link_path(code: str) -> str:
    return f"/r/{code}"


def short_code(invitation_id: int) -> str:
    """The invitation's short link code, made on first use (a unique row: two workers agree on one)."""
    code = db.session.scalar(select(ShortLink.code).where(ShortLink.invitation_id == invitation_id))
    if code is None:
        statement = dialect_insert(ShortLink.__table__).on_conflict_do_nothing(index_elements=["invitation_id"])
        db.session.execute(statement, {"code": new_short_code(), "invitation_id": invitation_id,
                                       "created_at": utcnow()})
        code = db.session.scalar(select(ShortLink.code).where(ShortLink.invitation_id == invitation_id))
    return code


def short_codes(invitation_ids) -> dict[int, str]:
    """`short_code` of many invitations in three statements (read, make the missing ones, read those):
    a batch of SMS and Zalo messages is prepared without a round trip per message."""
    wanted = set(invitation_ids)
    if not wanted:
        return {}
    table = ShortLink.__table__
    codes = dict(db.session.execute(select(table.c.invitation_id, table.c.code).where(table.c.invitation_id.in_(wanted))).all())
    missing = wanted - set(codes)
    if missing:
        now = utcnow()
        # Committed at once, on a connection of its own: a message of the batch that fails to build rolls
        # the session back, which must not take the others' links with it.
        with db.engine.begin() as connection:
            connection.execute(dialect_insert(table).on_conflict_do_nothing(index_elements=["invitation_id"]),
                               [{"code": new_short_code(), "invitation_id": invitation_id, "created_at": now}
                                for invitation_id in sorted(missing)])
        codes.update(db.session.execute(select(table.c.invitation_id, table.c.code)
                                        .where(table.c.invitation_id.in_(missing))).all())
    return codes


def values(message: OutboxMessage, codes: dict[int, str] | None = None) -> dict[str, str]:
    """Every value a text or template may use, in the contact's language (`codes`: the batch's short_codes)."""
    contact, event, invitation = message.contact, message.event, message.invitation
    code = (codes or {}).get(invitation.id) if invitation else None
    locale = (contact.language if contact is not None else "vi") or "vi"
    with force_locale(locale):
        name = " ".join(part for part in ((contact.honorific if contact else ""), (contact.full_name if contact else ""))
                        if part)
        result = {"name": name, "event": "", "time": "", "place": "", "association": "",
                  "link": links.absolute(short_link_path(code or short_code(invitation.id))) if invitation
                  else links.absolute("/")}
        if event is not None:
            result.update(event=event.title(locale), time=event_start_text(event, locale),
                          place=event.venue_name or event.venue_address,
                          association=event.association.name(locale) if event.association else "")
    return result


def sms_text(message: OutboxMessage, codes: dict[int, str] | None = None) -> str:
    """The SMS of a message, in the contact's language (or its domain's own text, see `sms_text_for`)."""
    if message.kind not in CHANNEL_KINDS and message.kind not in _SMS_TEXTS:
        load_all()
    if message.kind in _SMS_TEXTS:
        return " ".join(_SMS_TEXTS[message.kind](message).split())
    contact = message.contact
    locale = (contact.language if contact is not None else "vi") or "vi"
    v = values(message, codes)
    with force_locale(locale):
        if message.kind == MessageKind.REMINDER:
            text = _("Reminder: %(event)s, %(time)s, %(place)s. %(link)s", **v)
        elif message.kind == MessageKind.CANCELLATION:
            text = _("%(event)s is cancelled. %(link)s", **v)
        elif message.kind == MessageKind.UPDATE:
            text = _("%(event)s has changed: %(time)s, %(place)s. %(link)s", **v)
        else:
            text = _("%(association)s invites %(name)s to %(event)s, %(time)s, %(place)s. Please reply: %(link)s",
                     **v)
    return " ".join(text.replace(" ,", ",").split())


def template_data(mapping: dict, message: OutboxMessage, codes: dict[int, str] | None = None) -> dict[str, str]:
    """A Zalo template's parameters filled from `mapping` ({param: source}); ZNS caps a value's length."""
    v = values(message, codes)
    return {param: v.get(source, "")[:100] if source != "link" else v["link"] for param, source in mapping.items()}
