"""Factories and helpers for the attendance tests."""
from __future__ import annotations

from datetime import timedelta

import factory

from eventsapp.associations.models import Role
from eventsapp.attendance.models import CheckIn
from eventsapp.invitations.models import InvitationStatus
from eventsapp.timeutils import utcnow
from tests.factories import AssociationFactory, BaseFactory, ContactFactory, EventFactory, InvitationFactory, staff


class CheckInFactory(BaseFactory):
    class Meta:
        model = CheckIn

    event = factory.SubFactory(EventFactory)
    contact = factory.SubFactory(ContactFactory)
    checked_in_at = factory.LazyFunction(utcnow)


def door(role: Role = Role.CHECKIN, **event_kwargs):
    """An event under way (unless `starts_at` says otherwise), its association, and a staff member with
    `role` there."""
    association = AssociationFactory()
    if "starts_at" not in event_kwargs:
        event_kwargs["starts_at"] = utcnow().replace(microsecond=0) - timedelta(hours=1)
    event = EventFactory(association=association, **event_kwargs)
    user = staff(association, role, name="Trần Văn Nam")
    return event, user


def past_event(association=None, **kwargs):
    starts = utcnow().replace(microsecond=0) - timedelta(days=3)
    return EventFactory(association=association or AssociationFactory(), starts_at=starts,
                        ends_at=starts + timedelta(hours=3), **kwargs)


def invite(event, status=InvitationStatus.ACCEPTED, guests=0, **contact_kwargs):
    contact = ContactFactory(**contact_kwargs)
    contact.associations.append(event.association)
    return InvitationFactory(event=event, contact=contact, status=status, guests=guests)
