"""Demo: the meal question on the first upcoming published event, answered by those who accepted."""
from __future__ import annotations

from sqlalchemy import func, select

from ..events.models import Event, EventStatus
from ..extensions import db
from ..invitations.models import Invitation, InvitationStatus
from ..timeutils import utcnow
from . import services
from .models import Audience, Question, QuestionKind

MEAL = services.QuestionValues(kind=QuestionKind.CHOICE, text_vi="Quý vị dùng món gì?", text_en="Which meal?",
                               options=[("Món chay", "Vegetarian"), ("Món mặn", "Regular")], for_guests=True,
                               for_members=True)


class _Form(dict):
    def getlist(self, name):
        return self.get(name, [])


def seed():
    event = db.session.scalars(select(Event).where(Event.status == EventStatus.PUBLISHED, Event.starts_at > utcnow())
                               .order_by(Event.starts_at)).first()
    if event is None or db.session.scalar(select(func.count(Question.id)).where(Question.event_id == event.id)):
        return
    meal = services.create_question(event, MEAL)
    accepted = db.session.scalars(select(Invitation.id).where(
        Invitation.event_id == event.id, Invitation.status == InvitationStatus.ACCEPTED)).all()
    for index, invitation_id in enumerate(accepted):
        key = meal.options[index % 2]["key"]
        services.record_form(event.id, Audience.INVITEE, _Form({f"question-{meal.id}": [str(key)]}),
                             services.Person(invitation_id=invitation_id), staff=True)
    db.session.commit()
    yield f"questions: the meal question for {event.slug}, {len(accepted)} answers"
