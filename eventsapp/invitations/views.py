"""The public RSVP and unsubscribe pages, and the organiser's invitation pages of an event and a campaign."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import refresh
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, select

from .. import audit, links, navigation, query_args, spreadsheets, validation
from ..associations import branding
from ..auth.security import framed_by_self
from ..calendars.core import single_event_calendar, to_ics
from ..campaigns.models import Campaign
from ..events.access import load_event, load_of_event
from ..events.models import EventStatus
from ..extensions import csrf, db
from ..guests import services as guest_services
from ..i18n import LANGUAGE_NAMES, current_locale, select_timezone
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..mail.models import MessageKind
from ..mail.transport import PermanentFailure
from ..permissions import Action, accessible_associations, authorize, can
from ..questions import services as questions
from ..questions.models import Audience
from ..questions.services import Person
from ..timefmt import format_in_zone
from ..timeutils import zone
from ..versioned_cache import VersionedCache
from . import previews, reading, services
from .emails import map_url, sender, status_label
from .forms import (
    ANSWER_CHOICES,
    ANSWER_VALUES,
    SOURCE_CHOICES,
    AddInviteesForm,
    AnswerForm,
    ConfirmForm,
    RecordAnswerForm,
)
from .models import STATUS_VI, Invitation, InvitationStatus
from .reading import InvitationView

bp = Blueprint("invitations", __name__)

navigation.register_tab("event", "invitations.event_invitations", _l("Invitations"), order=30)
navigation.register_tab("campaign", "invitations.campaign_invitations", _l("Invitations"), order=30)

PAGE_SIZE = 200
SEATED = (InvitationStatus.ACCEPTED, InvitationStatus.WAITLISTED)  # answers that may bring named guests


# ------------------------------------------------------------------ public: RSVP

def _not_found():
    g.locale_override = "vi"
    refresh()
    return render_template("invitations/not_found.html"), 404


def _as_invitee(token: str) -> InvitationView | None:
    """The active invitation of an RSVP URL; its pages speak the invitee's language and show their zone."""
    view = reading.by_token(token)
    if view is not None and view.event.status == EventStatus.DRAFT:
        return None  # a draft event is not public, even to someone holding a link
    if view is not None:
        g.locale_override = view.language
        g.timezone_override = view.timezone
        refresh()
    return view


@dataclass(frozen=True)
class _Answer:
    """The answer the RSVP form shows: the invitee's current one, a preselected one, or the one refused."""

    status: str | None
    guests: int
    comment: str


# What each stand-in link of a test copy does in the invitee's own e-mail.
TEST_COPY_LINKS = {
    "rsvp": _l("In the invitee's e-mail, this link opens their answer page: the event, and the choice to "
               "attend, to say maybe or to decline, with the number of guests."),
    "ics": _l("In the invitee's e-mail, this link gives the event as a file for their calendar "
              "(Outlook, Apple Calendar, Google Calendar)."),
    "feed": _l("In the invitee's e-mail, this link is their own calendar of the events they are invited to, "
               "which their calendar app keeps up to date."),
    "unsubscribe": _l("In the invitee's e-mail, this link lets them stop receiving e-mails from the association."),
    "join": _l("In the invitee's e-mail, this is their personal link to the online meeting: it opens the meeting "
               "from 30 minutes before the start and counts them as attending online."),
}


def test_copy(link: str, answer: str | None = None):
    """The page behind a link of an organiser's test copy: a test, nothing recorded, what the invitee would see."""
    chosen = dict(ANSWER_CHOICES).get(answer) if answer else None
    what = _("In the invitee's e-mail, this button opens their answer page with “%(answer)s” chosen; "
             "they confirm it there.", answer=chosen) if chosen else TEST_COPY_LINKS[link]
    return render_template("invitations/test_copy.html", what=what)


@bp.get("/test-copy/<link>")
def test_copy_link(link: str):
    """A stand-in link that is not on the RSVP page's own paths (the personal calendar feed)."""
    if link not in TEST_COPY_LINKS:
        abort(404)
    return test_copy(link)


@bp.get("/rsvp/<token>")
def rsvp(token: str):
    if token == links.TEST_COPY_TOKEN:
        return test_copy("rsvp", request.args.get("answer"))
    view = _as_invitee(token)
    if view is None:
        return _not_found()
    # A link scanner fetching ?answer=… only sees a preselected form: nothing is recorded.
    preselect = request.args.get("answer")
    if preselect in ANSWER_VALUES:
        status = preselect
    elif view.status == InvitationStatus.WAITLISTED:
        status = "accepted"
    else:
        status = view.status.value if view.status != InvitationStatus.PENDING else None
    return _rsvp_page(view, _Answer(status, view.guests, view.comment))


@bp.post("/rsvp/<token>")
def rsvp_answer(token: str):
    form = AnswerForm()
    question_errors, refused = {}, None
    if form.validate_on_submit():
        # The answer first, found by its token under the lock it needs: no read of the page's snapshot
        # before it (a round trip to the database each, while answers to the event queue on its lock).
        try:
            invitation = services.answer_by_token(token, form.status.data, form.guests.data or 0,
                                                  form.comment.data or "")
        except services.InvitationError as error:
            db.session.rollback()
            refused = error.message
        else:
            if invitation is None or invitation.event.status == EventStatus.DRAFT:
                db.session.rollback()  # a draft event is not public, even to someone holding a link
                return _not_found()
            question_errors = questions.record_form(invitation.event, Audience.INVITEE, request.form,
                                                    Person(invitation_id=invitation.id),
                                                    attending=form.status.data != "declined")
            if question_errors:
                db.session.rollback()  # nothing kept, the answer neither: the page says what to correct
            else:
                status = invitation.status
                g.locale_override = invitation.contact.language
                g.timezone_override = invitation.contact.timezone
                refresh()
                db.session.commit()
                flash(_("Thank you, your answer is recorded: %(answer)s.", answer=status_label(status)),
                      "success" if status != InvitationStatus.WAITLISTED else "warning")
                return redirect(url_for("invitations.rsvp", token=token), code=303)
    view = _as_invitee(token)  # as it is now: revoked or deleted meanwhile, the page is gone
    if view is None:
        return _not_found()
    closed = services.answer_closed_reason(view.event)
    if not closed:
        form.validate_on_submit()  # again, for the messages in the invitee's language
        if refused is not None:
            flash(str(refused), "danger")
    answer = _Answer(form.status.data, form.guests.data or 0, form.comment.data or "")
    return _rsvp_page(view, answer, {} if closed else form.errors | question_errors, status=400)


def _rsvp_page(view: InvitationView, answer: _Answer, errors: dict | None = None, status: int = 200):
    event, locale = view.event, view.language
    return render_template("invitations/rsvp.html", invitation=view, event=event, answer=answer, errors=errors or {},
                           closed=services.answer_closed_reason(event), choices=ANSWER_CHOICES,
                           status_label=status_label(view.status), locale=locale,
                           waitlist_position=services.waitlist_position(view.id)
                           if view.status == InvitationStatus.WAITLISTED else None,
                           event_header=_event_header(event, locale),
                           question_fields=questions.fields(event, Audience.INVITEE, Person(invitation_id=view.id),
                                                            form=request.form if errors else None, errors=errors),
                           public_brand=branding.brand(event.association, locale),
                           ics_url=url_for("invitations.rsvp_ics", token=view.token),
                           join_url=links.join_url(view) if event.online_url and view.join_token else None,
                           feed_url=links.personal_feed_url(view),
                           named_guests=guest_services.named_guests(view.id)
                           if event.max_guests and view.status in SEATED else []), status


event_headers: VersionedCache[Markup] = VersionedCache(256)


def _event_header(event: reading.EventSnapshot, locale: str) -> Markup:
    """The top of the RSVP page: association, title, time, place, deadline, in the current language and zone.

    Every invitee reading in the same language and zone sees the same one, so it is rendered once per
    version of the event and its association (`event.versions`: an edit shows at once).
    """
    return event_headers.get((event.versions, locale, current_locale(), select_timezone()), lambda: Markup(
        render_template("invitations/_rsvp_event.html", event=event, locale=locale, map_url=map_url(event))))


@bp.get("/rsvp/<token>/event.ics")
def rsvp_ics(token: str):
    """The invitee's .ics of the event (METHOD:PUBLISH, with the organiser), for invite-only events too."""
    if token == links.TEST_COPY_TOKEN:
        return test_copy("ics")
    invitation = services.by_token(token)
    if invitation is None or invitation.event.status == EventStatus.DRAFT:
        return _not_found()
    event = invitation.event
    locale = invitation.contact.language
    name, address = sender(event.association)
    cal = single_event_calendar(event, method="PUBLISH", locale=locale, url=links.rsvp_url(invitation),
                                online_url=links.join_url(invitation) if event.online_url else None,
                                organizer_email=address, organizer_name=event.association.name(locale) or name)
    return Response(to_ics(cal), mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{event.slug}.ics"',
                             "Cache-Control": "private, no-store"})


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" without a form token
def unsubscribe(token: str):
    if token == links.TEST_COPY_TOKEN:
        return test_copy("unsubscribe")  # a POST (one-click) from a test copy records nothing either
    contact = services.contact_by_unsubscribe_token(token)
    if contact is None:
        return _not_found()
    g.locale_override = contact.language
    refresh()
    if request.method == "POST":
        services.unsubscribe(contact)
        db.session.commit()
        return _unsubscribe_page(contact, done=True)
    return _unsubscribe_page(contact, done=contact.opted_out_at is not None)


def _unsubscribe_page(contact, done: bool) -> str:
    """The page carries the identity of the association that last invited the contact (or its first one)."""
    association = services.inviting_association(contact)
    return render_template("invitations/unsubscribe.html", contact=contact, done=done,
                           public_brand=branding.brand(association, contact.language) if association else None)


# ------------------------------------------------------------------ organiser: an event

def _add_form() -> AddInviteesForm:
    form = AddInviteesForm()
    form.association_id.choices = [(0, "—")] + [(a.id, a.name(current_locale()))
                                                 for a in accessible_associations(current_user, Action.VIEW)]
    return form


def criteria_from_form(form: AddInviteesForm) -> services.Criteria:
    if form.association_id.data:
        authorize(Action.VIEW, form.association_id.data)
    return services.Criteria(
        association_id=form.association_id.data or None, include_branches=bool(form.include_branches.data),
        tags=[t for t in [(form.tag.data or "").strip()] if t], country=(form.country.data or "").strip(),
        language=form.language.data or "", emails=services.parse_emails(form.emails.data or ""),
    )


def _flash_result(result: services.AddResult) -> None:
    flash(_("%(added)s invitees added; skipped: %(already)s already invited, %(opted)s unsubscribed, "
            "%(archived)s archived, %(unknown)s unknown addresses.", added=result.added,
            already=result.already_invited, opted=result.opted_out, archived=result.archived,
            unknown=len(result.unknown_emails)), "success" if result.added else "info")
    if result.no_address:
        flash(_("%(n)s walk-ins without an e-mail address were left out.", n=result.no_address), "info")
    if result.unknown_emails:
        flash(_("Unknown addresses: %(list)s", list=", ".join(result.unknown_emails[:20])), "warning")


def _add_from_form(form: AddInviteesForm, association_id: int, add) -> bool:
    """Handle the add-invitees form; True when invitees were added (and committed)."""
    authorize(Action.MANAGE, association_id)
    if not form.validate_on_submit():
        return False
    criteria = criteria_from_form(form)
    if criteria.is_empty:
        flash(_("Choose at least one filter or enter e-mail addresses."), "warning")
        return False
    try:
        result = add(criteria)
    except services.InvitationError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return False
    db.session.commit()
    _flash_result(result)
    return True


def _count_from_form(form: AddInviteesForm, event) -> None:
    """Say how many contacts the filled-in filters match and how many would be added; add nobody."""
    authorize(Action.MANAGE, event.association_id)
    if not form.validate_on_submit():
        return
    criteria = criteria_from_form(form)
    if criteria.is_empty:
        flash(_("Choose at least one filter or enter e-mail addresses."), "warning")
        return
    result = services.count_invitees(event, criteria, user=current_user)
    flash(_("These filters match %(n)s contacts who can be invited: %(new)s would be added, %(already)s are "
            "invited already. Not invitable: %(opted)s unsubscribed, %(archived)s archived, %(walk_ins)s "
            "without an e-mail address; %(unknown)s unknown addresses.",
            n=result.added + result.already_invited, new=result.added, already=result.already_invited,
            opted=result.opted_out, archived=result.archived, walk_ins=result.no_address,
            unknown=len(result.unknown_emails)), "info")


def _flash_sent(queued: int) -> None:
    flash(_("%(n)s invitations are being sent.", n=queued) if queued else _("Everyone has been sent the invitation already."),
          "success" if queued else "info")


def _filters() -> dict:
    return {"status": request.args.get("status", ""), "honoree": request.args.get("honoree", ""),
            "q": request.args.get("q", "")}


def _invitations_page(event_ids, filters):
    query = services.invitation_query(event_ids, status=filters["status"], honoree=filters["honoree"],
                                      search=filters["q"])
    page = query_args.page_number()
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).unique())
    return rows, total, page


@bp.route("/events/<int:event_id>/invitations", methods=["GET", "POST"])
@login_required
def event_invitations(event_id: int):
    event = load_event(event_id, Action.VIEW)
    form = _add_form()
    if request.method == "POST" and request.form.get("count"):
        _count_from_form(form, event)  # the page again, the form as filled, with the count
    elif request.method == "POST" and _add_from_form(form, event.association_id,
                                                     lambda c: services.add_invitees(event, c, user=current_user)):
        return redirect(url_for("invitations.event_invitations", event_id=event.id), code=303)
    filters = _filters()
    rows, total, page = _invitations_page([event.id], filters)
    delegations = guest_services.delegations_of(event.id)
    return render_template(
        "invitations/event.html", event=event, form=form, confirm=ConfirmForm(), filters=filters,
        counts=services.status_counts([event.id]), invitations=rows, total=total, page=page, page_size=PAGE_SIZE,
        last_messages=services.last_messages([i.id for i in rows]), sends=services.recent_sends([event.id]),
        late_finish=services.send_estimate(event) if _can_manage(event.association_id) else None,
        statuses=list(InvitationStatus), status_label=status_label,
        can_manage=_can_manage(event.association_id), answer_form=RecordAnswerForm(formdata=None),
        source_labels=dict(SOURCE_CHOICES),
        answer_lines=questions.answer_lines(event.id, [i.id for i in rows], current_locale()),
        consent_counts=services.consent_before_send(event) if _can_manage(event.association_id) else None,
        delegations=delegations,
        member_answer_lines=questions.answer_lines(
            event.id, [member.id for delegation in delegations for member in delegation.members], current_locale(),
            guests=True),
    )


def _can_manage(association_id: int) -> bool:
    return can(current_user, Action.MANAGE, association_id)


@bp.post("/events/<int:event_id>/invitations/send")
@login_required
def send(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = redirect(url_for("invitations.event_invitations", event_id=event.id), code=303)
    not_before = local_time = None
    when = request.form.get("when", "")
    if when == "local":  # at an hour in each invitee's own zone
        try:
            local_time = validation.wall_time(request.form.get("local_time", ""))
        except validation.Invalid as error:
            flash(_("The hour in each invitee's zone: %(problem)s", problem=error.message), "danger")
            return back
    elif request.form.get("not_before", "").strip():  # a time given is meant, whichever choice is ticked
        not_before = _local_moment(request.form["not_before"])
        if not_before is None:
            flash(_("The sending time is not a date and time (example: 2027-01-20 08:00)."), "danger")
            return back
    try:
        send_id, queued = services.send_invitations(event.id, not_before=not_before, local_time=local_time,
                                                    accept_late=request.form.get("accept_late") == "1")
    except services.InvitationError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return back
    except services.SendWouldFinishLate as late:
        db.session.rollback()
        flash(_("Nothing was sent: at the mail provider's sending limits this send would only finish %(when)s, "
                "after the event starts. Tick “Send even if it finishes late” to send it all the same.",
                when=format_in_zone(late.finishes_at, select_timezone())), "danger")
        return back
    db.session.commit()
    if local_time is not None:
        flash(_("%(n)s invitations will go out at %(hour)s in each invitee's time zone.", n=queued,
                hour=local_time.strftime("%H:%M")), "success")
    elif not_before is not None:
        flash(_("%(n)s invitations will go out %(when)s.", n=queued, when=format_in_zone(not_before, select_timezone())),
              "success")
    else:
        _flash_sent(queued)
    return back


def _local_moment(text: str):
    """A datetime-local value as wall time in the reader's zone (aware), or None when it is not one."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is not None or not 2000 <= moment.year <= 2100:
        return None
    return moment.replace(tzinfo=zone(select_timezone()))


@bp.post("/events/<int:event_id>/invitations/sends/<send_id>/cancel")
@login_required
def cancel_send(event_id: int, send_id: str):
    """Withdraw a scheduled send that has not started."""
    event = load_event(event_id, Action.MANAGE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    cancelled = services.cancel_scheduled_send(event, send_id[:64])
    db.session.commit()
    if cancelled:
        flash(_("The scheduled send is cancelled: %(n)s e-mails will not go out.", n=cancelled), "success")
    else:
        flash(_("Nothing to cancel: this send has started or does not exist."), "warning")
    return redirect(url_for("invitations.event_invitations", event_id=event.id), code=303)


# ------------------------------------------------------------------ preview and test before a send

PREVIEW_LABELS = {MessageKind.INVITATION: _l("Invitation"), MessageKind.UPDATE: _l("Update"),
                  MessageKind.CANCELLATION: _l("Cancellation")}


def _preview_target(event):
    """The invitee (?invitation=<id>, default the first by name) and kind (?kind=) a preview is about."""
    invitation_id = query_args.optional_id("invitation")
    if invitation_id is None:
        invitation_id = query_args.id_value(request.form.get("invitation"))
    if invitation_id is not None:  # 0, no id at all, is an invitee that does not exist: a 404
        invitation = load_of_event(Invitation, invitation_id, event)
    else:
        invitation = db.session.scalars(services.invitation_query([event.id]).limit(1)).first()
    kind_value = request.args.get("kind") or request.form.get("kind") or MessageKind.INVITATION.value
    if kind_value not in {kind.value for kind in previews.PREVIEW_KINDS}:
        abort(404)
    return invitation, MessageKind(kind_value)


@bp.get("/events/<int:event_id>/invitations/preview")
@login_required
def preview(event_id: int):
    """The e-mail as the chosen invitee will get it (their language, zone, answer links), and "send me a test"."""
    event = load_event(event_id, Action.MANAGE)
    invitation, kind = _preview_target(event)
    shown, refusal = None, None
    if invitation is not None:
        try:
            shown = previews.preview(invitation, kind)
        except PermanentFailure:
            refusal = _("This invitee would not get this e-mail: they unsubscribed or were archived.")
    choices = db.session.scalars(services.invitation_query([event.id]).limit(200)).unique().all()
    return render_template("invitations/preview.html", event=event, invitation=invitation, kind=kind, shown=shown,
                           refusal=refusal, choices=choices, kinds=PREVIEW_LABELS, confirm=ConfirmForm())


@bp.get("/events/<int:event_id>/invitations/<int:invitation_id>/preview.html")
@login_required
@framed_by_self(previews.FRAME_POLICY)
def preview_frame(event_id: int, invitation_id: int):
    """The preview's HTML part alone, for the sandboxed frame of the preview page."""
    event = load_event(event_id, Action.MANAGE)
    invitation = load_of_event(Invitation, invitation_id, event)
    _invitation, kind = _preview_target(event)
    try:
        html = previews.preview(invitation, kind)["html"]
    except PermanentFailure:
        abort(404)
    return Response(html, mimetype="text/html")


@bp.post("/events/<int:event_id>/invitations/test")
@login_required
def send_test(event_id: int):
    """A copy of the chosen invitee's e-mail to the organiser's own address, marked as a test."""
    event = load_event(event_id, Action.MANAGE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    invitation, kind = _preview_target(event)
    if invitation is None:
        abort(404)
    previews.queue_test(invitation, current_user.email, kind)
    db.session.commit()
    flash(_("A test copy is on its way to %(address)s.", address=current_user.email), "success")
    return redirect(url_for("invitations.preview", event_id=event.id, invitation=invitation.id, kind=kind.value),
                    code=303)


def _event_invitation(event_id: int, invitation_id: int) -> Invitation:
    event = load_event(event_id, Action.MANAGE)
    invitation = load_of_event(Invitation, invitation_id, event)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return invitation


@bp.post("/events/<int:event_id>/invitations/<int:invitation_id>/<action>")
@login_required
def invitation_action(event_id: int, invitation_id: int, action: str):
    if action not in ("resend", "revoke", "regenerate"):
        abort(404)
    invitation = _event_invitation(event_id, invitation_id)
    try:
        if action == "resend":
            services.resend(invitation)
            message = _("The invitation will be sent again to %(email)s.", email=invitation.contact.email)
        elif action == "revoke":
            services.revoke(invitation)
            message = _("The invitation link of %(name)s no longer works.", name=invitation.contact.full_name)
        else:
            services.regenerate_token(invitation)
            message = _("%(name)s has a new invitation link; the old one no longer works.", name=invitation.contact.full_name)
    except services.InvitationError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("invitations.event_invitations", event_id=event_id, **_filters()), code=303)


@bp.post("/events/<int:event_id>/invitations/<int:invitation_id>/answer")
@login_required
def record_answer(event_id: int, invitation_id: int):
    """An answer given by phone or in person, recorded from the invitation list (who and when are kept)."""
    event = load_event(event_id, Action.MANAGE)
    invitation = load_of_event(Invitation, invitation_id, event)
    form = RecordAnswerForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(str(errors[0]), "danger")
            break
        return redirect(url_for("invitations.event_invitations", event_id=event_id, **_filters()), code=303)
    try:
        answered = services.record_answer(invitation, form.status.data, source=form.source.data, by=current_user)
    except services.InvitationError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("Recorded for %(name)s: %(answer)s (%(source)s).", name=answered.contact.full_name,
                answer=status_label(answered.status), source=dict(SOURCE_CHOICES)[answered.answer_source]),
              "success")
    return redirect(url_for("invitations.event_invitations", event_id=event_id, **_filters()), code=303)


@bp.post("/events/<int:event_id>/invitations/<int:invitation_id>/card")
@login_required
def hand_card(event_id: int, invitation_id: int):
    """The printed invitation card was handed over (when and by whom are kept)."""
    invitation = _event_invitation(event_id, invitation_id)
    services.hand_card(invitation, by=current_user)
    db.session.commit()
    flash(_("The invitation card of %(name)s is marked as handed over.", name=invitation.contact.full_name),
          "success")
    return redirect(url_for("invitations.event_invitations", event_id=event_id, **_filters()), code=303)


def _csv_response(invitations, filename: str, event_id: int) -> Response:
    """The invitees with their answers, the event's questions (in Vietnamese) as the last headers."""
    invitations = list(invitations)
    header, answer_cells = questions.export_columns(event_id, [i.id for i in invitations])
    header = ["Sự kiện", "Họ và tên", "Email", "Quốc gia", "Ngôn ngữ", "Trạng thái", "Số khách đi cùng",
              "Người được vinh danh", "Ghi chú", "Thời điểm trả lời (UTC)", "Đã thu hồi", *header]
    rows = ([invitation.event.title_vi, invitation.contact.full_name, invitation.contact.email,
             invitation.contact.country, LANGUAGE_NAMES.get(invitation.contact.language, invitation.contact.language),
             STATUS_VI[invitation.status], invitation.guests,
             "có" if invitation.is_honoree else "", invitation.comment,
             invitation.answered_at.strftime("%Y-%m-%d %H:%M") if invitation.answered_at else "",
             "có" if invitation.revoked_at else "", *answer_cells(invitation.id)] for invitation in invitations)
    return Response(spreadsheets.csv_text([header, *rows]), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/events/<int:event_id>/invitations.csv")
@login_required
def export_csv(event_id: int):
    event = load_event(event_id, Action.VIEW)
    filters = _filters()
    query = services.invitation_query([event.id], status=filters["status"], honoree=filters["honoree"],
                                      search=filters["q"])
    invitations = list(db.session.scalars(query).unique())
    audit.downloaded("invitations", event, event.association_id, len(invitations), status=filters["status"],
                     honoree=filters["honoree"], search=bool(filters["q"]))
    return _csv_response(invitations, f"invitations-{event.slug}.csv", event.id)


# ------------------------------------------------------------------ organiser: a campaign

def _load_campaign(campaign_id: int, action: Action) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    authorize(action, campaign.association_id)
    return campaign


@bp.route("/campaigns/<int:campaign_id>/invitations", methods=["GET", "POST"])
@login_required
def campaign_invitations(campaign_id: int):
    campaign = _load_campaign(campaign_id, Action.VIEW)
    form = _add_form()
    if request.method == "POST" and _add_from_form(form, campaign.association_id,
                                                   lambda c: services.add_campaign_invitees(campaign, c, user=current_user)):
        return redirect(url_for("invitations.campaign_invitations", campaign_id=campaign.id), code=303)
    event_ids = [e.id for e in campaign.events]
    per_event = [(event, services.status_counts([event.id])) for event in campaign.events]
    filters = _filters()
    rows, total, page = _invitations_page(event_ids, filters)
    return render_template(
        "invitations/campaign.html", campaign=campaign, form=form, confirm=ConfirmForm(), per_event=per_event,
        counts=services.status_counts(event_ids), sends=services.recent_sends(campaign_id=campaign.id),
        invitations=rows, total=total, page=page, page_size=PAGE_SIZE, filters=filters,
        statuses=list(InvitationStatus), status_label=status_label, can_manage=_can_manage(campaign.association_id),
    )


@bp.post("/campaigns/<int:campaign_id>/invitations/send")
@login_required
def send_campaign(campaign_id: int):
    campaign = _load_campaign(campaign_id, Action.MANAGE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    queued = services.send_campaign_invitations(campaign.id)[1]
    db.session.commit()
    _flash_sent(queued)
    return redirect(url_for("invitations.campaign_invitations", campaign_id=campaign.id), code=303)
