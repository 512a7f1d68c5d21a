"""The organiser's questions of an event (add, edit, reorder, remove, the summary, the answers' export) and the
staff's page for an invitee's answers taken by phone."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import audit, navigation, spreadsheets
from ..events.access import load_event, load_of_event
from ..events.services import local_to_utc
from ..extensions import db
from ..i18n import current_locale
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..invitations.emails import status_label
from ..invitations.forms import ConfirmForm
from ..invitations.models import Invitation
from ..permissions import Action, can
from ..timeutils import zone
from ..validation import Invalid
from ..web import save_or_flash
from . import answers, exports, services
from .forms import KIND_LABELS, QuestionForm
from .models import Audience, Question, QuestionKind

bp = Blueprint("questions", __name__)

navigation.register_tab("event", "questions.event_questions", _l("Questions"), order=35)


def _values(form: QuestionForm, event) -> services.QuestionValues | None:
    """The form's question, or None (with the field's error set) when its options are not acceptable."""
    try:
        pairs = form.option_pairs()
    except Invalid as error:
        form.options.errors = [*form.options.errors, error.message]
        return None
    deadline = local_to_utc(form.deadline.data, event.timezone) if form.deadline.data else None
    return services.QuestionValues(
        kind=QuestionKind(form.kind.data), text_vi=form.text_vi.data or "", text_en=form.text_en.data or "",
        options=pairs, required=bool(form.required.data), for_invitees=bool(form.for_invitees.data),
        for_guests=bool(form.for_guests.data), for_members=bool(form.for_members.data), deadline=deadline)


@bp.get("/events/<int:event_id>/questions")
@login_required
def event_questions(event_id: int):
    event = load_event(event_id, Action.VIEW)
    locale = current_locale()
    return render_template("questions/event.html", event=event, summaries=services.summaries(event.id, locale),
                           kind_labels=KIND_LABELS, confirm=ConfirmForm(), locale=locale,
                           can_manage=can(current_user, Action.MANAGE, event.association_id),
                           full=len(services.event_questions(event.id)) >= services.MAX_QUESTIONS)


def _save(event, form: QuestionForm, action, *args):
    """Validate the form and run `action(*args, values)`; a redirect to the list when saved."""
    if not form.validate_on_submit():
        return None
    values = _values(form, event)
    if values is None:
        return None
    if save_or_flash(services.QuestionError, action, *args, values) is None:
        return None
    return redirect(url_for("questions.event_questions", event_id=event.id), code=303)


@bp.route("/events/<int:event_id>/questions/new", methods=["GET", "POST"])
@login_required
def new_question(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    form = QuestionForm()
    done = _save(event, form, services.create_question, event)
    if done is not None:
        return done
    return render_template("questions/form.html", event=event, form=form, question=None), 400 if form.errors else 200


@bp.route("/events/<int:event_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit_question(event_id: int, question_id: int):
    event = load_event(event_id, Action.MANAGE)
    question = load_of_event(Question, question_id, event)
    form = QuestionForm(obj=question) if request.method == "GET" else QuestionForm()
    if request.method == "GET":
        form.kind.data = question.kind.value
        form.options.data = QuestionForm.options_text(question.options or [])
        form.deadline.data = (question.deadline.astimezone(zone(event.timezone)).replace(tzinfo=None)
                              if question.deadline else None)
    done = _save(event, form, services.update_question, question)
    if done is not None:
        return done
    return render_template("questions/form.html", event=event, form=form, question=question), \
        400 if form.errors else 200


def _confirmed_question(event_id: int, question_id: int):
    event = load_event(event_id, Action.MANAGE)
    question = load_of_event(Question, question_id, event)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return event, question


@bp.post("/events/<int:event_id>/questions/<int:question_id>/move")
@login_required
def move_question(event_id: int, question_id: int):
    event, question = _confirmed_question(event_id, question_id)
    services.move_question(question, -1 if request.form.get("direction") == "up" else 1)
    db.session.commit()
    return redirect(url_for("questions.event_questions", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/questions/<int:question_id>/remove")
@login_required
def remove_question(event_id: int, question_id: int):
    event, question = _confirmed_question(event_id, question_id)
    services.remove_question(question)
    db.session.commit()
    flash(_("The question and its answers are removed."), "success")
    return redirect(url_for("questions.event_questions", event_id=event.id), code=303)


@bp.get("/events/<int:event_id>/questions/answers.<fmt>")
@login_required
def export_answers(event_id: int, fmt: str):
    """Everyone's answers, one row a person (invitees, named guests, delegation members), the questions as headers."""
    event = load_event(event_id, Action.VIEW)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    rows = exports.answer_rows(event)
    audit.downloaded("question_answers", event, event.association_id, len(rows) - 1, format=fmt)
    filename = f"answers-{event.slug}.{fmt}"
    if fmt == "csv":
        return Response(spreadsheets.csv_text(rows), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return Response(spreadsheets.xlsx_bytes("Trả lời", rows),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/events/<int:event_id>/invitations/<int:invitation_id>/answers", methods=["GET", "POST"])
@login_required
def invitation_answers(event_id: int, invitation_id: int):
    """An invitee's answers to the questions, as staff see them and record them (by phone, in person)."""
    event = load_event(event_id, Action.VIEW if request.method == "GET" else Action.MANAGE)
    invitation = load_of_event(Invitation, invitation_id, event)
    person = services.Person(invitation_id=invitation.id)
    errors = {}
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        errors = services.record_form(event.id, Audience.INVITEE, request.form, person, staff=True)
        if not errors:
            db.session.commit()
            flash(_("The answers of %(name)s are recorded.", name=invitation.contact.full_name), "success")
            return redirect(url_for("questions.invitation_answers", event_id=event.id, invitation_id=invitation.id),
                            code=303)
        db.session.rollback()
    fields = services.fields(event.id, Audience.INVITEE, person, form=request.form if errors else None,
                             errors=errors, staff=True)
    locale, saved = current_locale(), services.stored(person)
    shown = {f.question.id: answers.shown(f.question, saved.get(f.question.id), locale) for f in fields}
    return render_template("questions/invitation.html", event=event, invitation=invitation, fields=fields,
                           shown=shown, status_label=status_label, locale=locale, confirm=ConfirmForm(),
                           can_manage=can(current_user, Action.MANAGE, event.association_id)), 400 if errors else 200
