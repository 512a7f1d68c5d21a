"""Printables of an event: what goes into the badges, the door list and the certificates, and the
stored PDF a worker makes of them (`attendance.render_printable`). The caller commits.
"""
from __future__ import annotations

import logging
import tempfile

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import images, salutations, timefmt
from ..after_commit import enqueue_after_commit
from ..ceremony.seating import seat_text, seats_by_guest, seats_by_invitation
from ..contacts.models import Contact
from ..events.models import Event, Honoree
from ..extensions import db
from ..guests.models import Delegation, EventGuest
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..invitations.models import Invitation, InvitationStatus
from ..links import card_url, checkin_url
from ..permissions import descendant_ids
from ..slugs import slugify
from ..timeutils import in_zone, utcnow
from . import printing
from .models import CertificateTemplate, CheckIn, Printable

logger = logging.getLogger(__name__)

KINDS = {"badges": _l("Name badges"), "door_list": _l("Door list"), "certificates": _l("Certificates"),
         "invitation_cards": _l("Invitation cards"), "address_labels": _l("Address labels")}
AUDIENCES = ("accepted", "all")
AUDIENCE_WORDS = {"accepted": _l("invitees who accepted"), "all": _l("every invitee")}
CHUNK = 200  # rows read per query while drawing: memory stays flat however long the list
# Named, not imported: the task module imports this one (as mail.services names its dispatch task).
RENDER_TASK = "attendance.render_printable"


class PrintableError(ValueError):
    """Options that cannot be printed; str() is a message for the organiser."""


def _int_option(options: dict, key: str, default: int, low: int, high: int) -> int:
    try:
        value = int(options.get(key, default))
    except (TypeError, ValueError):
        raise PrintableError(_("Choose between %(low)s and %(high)s.", low=low, high=high)) from None
    if not low <= value <= high:
        raise PrintableError(_("Choose between %(low)s and %(high)s.", low=low, high=high))
    return value


def clean_options(event: Event, kind: str, options: dict) -> dict:
    """The options of a printable, checked: paper, columns × rows (badges), who is on it."""
    if kind not in KINDS:
        raise PrintableError(_("Unknown kind of printable."))
    cleaned: dict = {}
    if kind == "badges":
        paper = options.get("paper", "A4")
        if paper not in printing.PAPER:
            raise PrintableError(_("Unknown paper size."))
        cleaned.update(paper=paper, columns=_int_option(options, "columns", 2, 1, 4),
                       rows=_int_option(options, "rows", 5, 1, 8))
    if kind in ("badges", "door_list", "invitation_cards", "address_labels"):
        audience = options.get("audience", "accepted" if kind == "badges" else "all")
        if audience not in AUDIENCES:
            raise PrintableError(_("Unknown choice of invitees."))
        cleaned["audience"] = audience
    if kind == "certificates" and not event.honorees:
        raise PrintableError(_("This event has no honorees."))
    if kind == "address_labels" and not _count(event, cleaned["audience"], with_address=True):
        raise PrintableError(_("None of these invitees has a postal address, so there are no labels to print."))
    if kind in ("badges", "door_list", "invitation_cards") and not _count(event, cleaned["audience"]):
        raise PrintableError(_("Nobody has accepted yet, so there are no badges to print.")
                             if cleaned["audience"] == "accepted" and kind == "badges" else
                             _("Nobody has accepted yet, so there is nothing to print.")
                             if cleaned["audience"] == "accepted" else
                             _("The event has no invitees yet, so there is nothing to print."))
    cleaned["locale"] = options.get("locale") if options.get("locale") in ("vi", "en") else "vi"
    return cleaned


def describe(row: Printable) -> str:
    """What a file in the list holds, in words: "Name badges · invitees who accepted · A4, 2 × 5 per page"."""
    options = row.options or {}
    parts = [str(KINDS.get(row.kind, row.kind))]
    if row.kind in ("badges", "door_list", "invitation_cards", "address_labels"):
        parts.append(str(AUDIENCE_WORDS.get(options.get("audience"), "")))
    if row.kind == "badges":
        parts.append(_("%(paper)s paper, %(columns)s × %(rows)s badges a page", paper=options.get("paper", "A4"),
                       columns=options.get("columns", 2), rows=options.get("rows", 5)))
    elif row.kind == "door_list":
        parts.append(_("%(paper)s paper", paper="A4"))
    elif row.kind == "invitation_cards":
        parts.append(_("A5 cards, two to an A4 sheet"))
    elif row.kind == "address_labels":
        parts.append(_("A4 sheet of 3 × 8 labels, only invitees with a postal address"))
    else:
        parts += [_("every honoree"), _("%(paper)s paper, landscape", paper="A4")]
    return " · ".join(part for part in parts if part)


def _count(event: Event, audience: str, with_address: bool = False) -> int:
    """How many people a badge sheet or door list for `audience` would hold (`with_address`: only those
    with a postal address, as address labels)."""
    statement = select(func.count(Invitation.id)).where(Invitation.event_id == event.id,
                                                         Invitation.revoked_at.is_(None))
    if with_address:
        statement = statement.join(Contact, Contact.id == Invitation.contact_id).where(
            func.trim(Contact.postal_address) != "")
    if audience == "accepted":
        statement = statement.where(Invitation.status == InvitationStatus.ACCEPTED)
    return (db.session.scalar(statement) or 0) + sum(1 for _row in _guests(event, audience))


def request_printable(event: Event, kind: str, options: dict, *, by=None) -> Printable:
    """Queue a PDF for a worker: the row now, `attendance.render_printable` after commit."""
    row = Printable(event=event, kind=kind, options=clean_options(event, kind, options), requested_by=by)
    db.session.add(row)
    db.session.flush()
    enqueue_after_commit(current_app.extensions["celery"].signature(RENDER_TASK), row.id)
    return row


# ---------------------------------------------------------------- what is printed

def _invitations(event: Event, audience: str, with_address: bool = False):
    """The event's live invitations with their contacts, in Vietnamese order, read CHUNK rows at a time."""
    statement = (
        select(Invitation, Contact).join(Contact, Contact.id == Invitation.contact_id)
        .options(selectinload(Contact.associations))
        .where(Invitation.event_id == event.id, Invitation.revoked_at.is_(None))
        .order_by(Contact.sort_key, Contact.id)
        .execution_options(yield_per=CHUNK)
    )
    if audience == "accepted":
        statement = statement.where(Invitation.status == InvitationStatus.ACCEPTED)
    if with_address:
        statement = statement.where(func.trim(Contact.postal_address) != "")
    return db.session.execute(statement)


def _association_name(contact: Contact, event: Event, allowed: set[int]) -> str:
    names = [a.name_vi for a in contact.associations if a.id in allowed]
    return ", ".join(names) or event.association.name_vi


def _guests(event: Event, audience: str):
    """The event's named guests (of live invitations; with `accepted`, of accepted ones) and the members of
    its live delegations, as plain rows: the invitees' guests by host, then each delegation's members
    together (the door list and the badges group them by delegation)."""
    host = Contact.__table__.alias("host")
    statement = (
        select(EventGuest.id, EventGuest.full_name, EventGuest.honorific, EventGuest.checkin_token,
               Invitation.status, host.c.full_name.label("host_name"), Delegation.name.label("delegation"))
        .outerjoin(Invitation, Invitation.id == EventGuest.invitation_id)
        .outerjoin(host, host.c.id == Invitation.contact_id)
        .outerjoin(Delegation, Delegation.id == EventGuest.delegation_id)
        .where(EventGuest.event_id == event.id,
               ((EventGuest.invitation_id.is_not(None) & Invitation.revoked_at.is_(None))
                | (EventGuest.delegation_id.is_not(None) & Delegation.revoked_at.is_(None))))
        .order_by(Delegation.name.is_not(None), Delegation.name, Delegation.id, host.c.sort_key, EventGuest.id)
    )
    if audience == "accepted":
        statement = statement.where((Invitation.status == InvitationStatus.ACCEPTED) | EventGuest.delegation_id.is_not(None))
    return db.session.execute(statement)


def _with_whom(row) -> str:
    return row.delegation if row.delegation is not None else _("Guest of %(name)s", name=row.host_name)


def badges(event: Event, audience: str = "accepted"):
    allowed = descendant_ids([event.association_id])
    seats = seats_by_invitation(db.session, event.id)
    for invitation, contact in _invitations(event, audience):
        seat = seats.get(invitation.id)
        yield printing.Badge(contact.full_name, _association_name(contact, event, allowed), checkin_url(invitation),
                             invitation.is_honoree, seat_text(*seat) if seat else "")
    guest_seats = seats_by_guest(db.session, event.id)
    for row in _guests(event, audience):  # each named guest and member has a badge with their own code
        seat = guest_seats.get(row.id)
        yield printing.Badge(f"{row.honorific} {row.full_name}".strip(), _with_whom(row), checkin_url(row), False,
                             seat_text(*seat) if seat else "")


def status_label(status: InvitationStatus | None) -> str:
    labels = {"pending": _("No answer yet"), "accepted": _("Accepted"), "tentative": _("Maybe"),
              "declined": _("Declined"), "waitlisted": _("Waiting list")}
    return labels.get(status.value, status.value) if status else _("Not invited")


def door_lines(event: Event, audience: str = "all"):
    allowed = descendant_ids([event.association_id])
    came, guests_came = {}, {}
    for row in db.session.scalars(select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))):
        if row.guest_id is not None:
            guests_came[row.guest_id] = row.checked_in_at
        else:
            came[row.contact_id] = row.checked_in_at
    named = dict(db.session.execute(select(EventGuest.invitation_id, func.count(EventGuest.id))
                                    .where(EventGuest.event_id == event.id, EventGuest.invitation_id.is_not(None))
                                    .group_by(EventGuest.invitation_id)).all())
    for invitation, contact in _invitations(event, audience):
        at = came.get(contact.id)
        # The guests named have lines of their own below: the invitee's line counts the others.
        yield printing.DoorLine(contact.full_name, _association_name(contact, event, allowed),
                                status_label(invitation.status), max(invitation.guests - named.get(invitation.id, 0), 0),
                                in_zone(at, event.timezone).strftime("%H:%M") if at else "")
    for row in _guests(event, audience):
        at = guests_came.get(row.id)
        yield printing.DoorLine(f"{row.honorific} {row.full_name}".strip(), _with_whom(row),
                                status_label(row.status or InvitationStatus.ACCEPTED), 0,
                                in_zone(at, event.timezone).strftime("%H:%M") if at else "")


def certificate_template(event: Event) -> CertificateTemplate:
    """The association's template (or its parent's); defaults when none was saved."""
    association = event.association
    while association is not None:
        template = db.session.scalar(select(CertificateTemplate).where(
            CertificateTemplate.association_id == association.id))
        if template is not None:
            return template
        association = association.parent
    return CertificateTemplate(association_id=event.association_id, title="Giấy khen", intro="Trân trọng trao tặng",
                               place="", signer_title="", signer_name="")


def certificate(event: Event, template: CertificateTemplate, honoree_name: str, award: str,
                citation: str = "") -> printing.Certificate:
    day = in_zone(event.starts_at, event.timezone).date()
    return printing.Certificate(
        association=event.association.name_vi, title=template.title, intro=template.intro,
        honoree=honoree_name, award=award, citation=citation, event_title=event.title_vi,
        dateline=printing.vietnamese_dateline(template.place, day), signer_title=template.signer_title,
        signer_name=template.signer_name, logo_png=template.logo_png)


def honorees(event: Event) -> list[Honoree]:
    return list(db.session.scalars(
        select(Honoree).join(Contact, Contact.id == Honoree.contact_id).options(selectinload(Honoree.contact))
        .where(Honoree.event_id == event.id).order_by(Contact.sort_key, Honoree.id)))


def certificates(event: Event, only: Honoree | None = None, template: CertificateTemplate | None = None):
    template = template or certificate_template(event)
    for honoree in [only] if only else honorees(event):
        yield certificate(event, template, honoree.contact.full_name, honoree.award, honoree.citation)


def certificates_pdf(event: Event, only: Honoree | None = None, template: CertificateTemplate | None = None) -> bytes:
    """Certificates drawn at once (one honoree, or a preview): a page or a few, no worker needed."""
    import io

    out = io.BytesIO()
    printing.certificates_pdf(certificates(event, only, template), out, title=event.title_vi)
    return out.getvalue()


def preview_certificate(event: Event, template: CertificateTemplate) -> bytes:
    """The first honoree's certificate with `template` (unsaved changes too), or a sample name."""
    found = honorees(event)
    first = found[0] if found else None
    cert = certificate(event, template, first.contact.full_name if first else "Nguyễn Thị Ánh Tuyết",
                       first.award if first else "Kỷ niệm chương Vì hòa bình, hữu nghị giữa các dân tộc",
                       first.citation if first else "")
    import io

    out = io.BytesIO()
    printing.certificates_pdf([cert], out, title=event.title_vi)
    return out.getvalue()


def _card_words(event: Event, locale: str) -> dict[str, str]:
    """The fixed words of a card in `locale` (read once per language, not once per card)."""
    with force_locale(locale):
        return {"heading": _("INVITATION"), "intro": _("We have the honour to invite you to"),
                "when": _("Time:"), "where": _("Place:"), "qr": _("Scan to reply; show this code at the door."),
                "deadline": _("Kindly reply by %(time)s.", time="{time}")}


def invitation_cards(event: Event, audience: str = "all"):
    """One card per live invitation, in the invitee's own language and time zone, with the check-in code
    (which the door scans, and which opens the invitee's answer page for anyone else: attendance.views.confirm)."""
    words = {locale: _card_words(event, locale) for locale in ("vi", "en")}
    logo = certificate_template(event).logo_png
    association = event.association.name_vi
    for invitation, contact in _invitations(event, audience):
        locale = "en" if contact.language == "en" else "vi"
        zone = contact.timezone or event.timezone
        said = words[locale]
        deadline = event.rsvp_deadline
        yield printing.InvitationCard(
            association=association, heading=said["heading"], salutation=salutations.greeting(contact, locale),
            intro=said["intro"], event_title=event.title(locale), when_label=said["when"],
            when=timefmt.event_span(event, zone, locale), where_label=said["where"],
            where=", ".join(part for part in (event.venue_name, event.venue_address) if (part or "").strip()),
            deadline=said["deadline"].replace("{time}", timefmt.moment_text(deadline, zone, locale)) if deadline else "",
            qr_caption=said["qr"], qr_text=card_url(invitation), logo_png=logo)


def addressee(contact: Contact) -> str:
    """The label's first line: the Vietnamese salutation ("Kính gửi: Ông …, chức vụ") or, for an English
    reader, the form of address and name ("Mr Nguyễn Văn A"; "Dear …," belongs in a letter, not on an envelope)."""
    if contact.language == "en":
        form = salutations.english_form(contact.honorific)
        return " ".join(part for part in (form, " ".join(contact.full_name.split())) if part)
    return salutations.greeting(contact, "vi")


def address_labels(event: Event, audience: str = "all"):
    """One label per live invitation whose contact has a postal address."""
    for _invitation, contact in _invitations(event, audience, with_address=True):
        yield printing.AddressLabel(addressee(contact), contact.postal_address)


# ---------------------------------------------------------------- the worker's part

def filename(row: Printable) -> str:
    return f"{row.kind.replace('_', '-')}-{slugify(row.event.title_vi)[:60] or row.event_id}-{row.id}.pdf"


def render(printable_id: int) -> None:
    """Draw the PDF of a queued printable into a temporary file, then store it; failures are recorded."""
    row = db.session.get(Printable, printable_id)
    if row is None or row.state == "done":
        return
    row.state = "running"
    db.session.commit()
    event, options = row.event, dict(row.options or {})
    try:
        with force_locale(options.get("locale", "vi")), tempfile.TemporaryFile() as out:
            if row.kind == "badges":
                layout = printing.BadgeLayout(options["paper"], options["columns"], options["rows"])
                count = printing.badges_pdf(badges(event, options["audience"]), layout, out, title=event.title_vi)
            elif row.kind == "door_list":
                count = printing.door_list_pdf(
                    door_lines(event, options["audience"]), out, title=event.title_vi,
                    subtitle=_("Door list printed at %(time)s", time=in_zone(utcnow(), event.timezone).strftime("%d/%m/%Y %H:%M")),
                    headers={"box": "", "no": "#", "name": _("Name"), "association": _("Association"),
                             "status": _("Answer"), "guests": _("Guests"), "checked_in": _("Arrived")},
                    page_label=_("Page %(n)s", n="{n}"))
            elif row.kind == "invitation_cards":
                count = printing.invitation_cards_pdf(invitation_cards(event, options["audience"]), out,
                                                      title=event.title_vi)
            elif row.kind == "address_labels":
                count = printing.address_labels_pdf(address_labels(event, options["audience"]), out,
                                                    title=event.title_vi)
            else:
                count = printing.certificates_pdf(certificates(event), out, title=event.title_vi)
            out.seek(0)
            row.content = out.read()
    except Exception as error:  # recorded for the organiser; the worker goes on
        db.session.rollback()
        row = db.session.get(Printable, printable_id)
        row.state, row.error, row.finished_at = "failed", str(error)[:500], utcnow()
        db.session.commit()
        logger.exception("printable %s failed", printable_id)
        return
    row.state, row.item_count, row.finished_at = "done", count, utcnow()
    db.session.commit()


LOGO_MAX_BYTES = images.MAX_BYTES
LOGO_SIDE = 600


def logo_png(data: bytes) -> bytes:
    """An uploaded logo as a PNG at most 600 px a side, through the app's one image guard (eventsapp.images)."""
    try:
        return images.reencoded_png(data, LOGO_SIDE)
    except images.ImageRejected as error:
        raise PrintableError(str(error.message)) from None
