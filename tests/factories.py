"""factory_boy factories for the models; rows are committed (a real worker must see them)."""
from __future__ import annotations

import functools
from datetime import timedelta

import factory
from werkzeug.security import generate_password_hash

from eventsapp.associations.models import Association, AssociationKind, Membership, Role
from eventsapp.auth.models import User
from eventsapp.campaigns.models import Campaign, CampaignKind
from eventsapp.contacts.models import Contact
from eventsapp.events.models import Event, EventKind, EventStatus, Visibility
from eventsapp.extensions import db
from eventsapp.invitations.models import Invitation
from eventsapp.timeutils import utcnow

PASSWORD = "correct-horse-battery"


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class AssociationFactory(BaseFactory):
    class Meta:
        model = Association

    slug = factory.Sequence(lambda n: f"hoi-{n}")
    name_vi = factory.Sequence(lambda n: f"Hội hữu nghị số {n}")
    name_en = factory.Sequence(lambda n: f"Friendship association {n}")
    kind = AssociationKind.ASSOCIATION
    timezone = "Asia/Ho_Chi_Minh"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"staff{n}@example.vn")
    name = factory.Sequence(lambda n: f"Cán bộ {n}")
    is_admin = False
    password_hash = factory.LazyFunction(lambda: hashed(PASSWORD))


@functools.cache
def hashed(password: str) -> str:
    """A real hash of `password` (werkzeug's default scrypt, as accounts get), made once per run: scrypt
    costs about 160 ms and some 230 places create users. Tests about hashing call the app, which hashes."""
    return generate_password_hash(password)


class MembershipFactory(BaseFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    association = factory.SubFactory(AssociationFactory)
    role = Role.ORGANISER


def staff(association: Association, role: Role = Role.ORGANISER, **kwargs) -> User:
    """A user holding `role` in `association`."""
    user = UserFactory(**kwargs)
    MembershipFactory(user=user, association=association, role=role)
    return user


class ContactFactory(BaseFactory):
    class Meta:
        model = Contact

    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Khách {n}")
    email = factory.Sequence(lambda n: f"khach{n}@example.vn")
    timezone = "Asia/Ho_Chi_Minh"
    language = "vi"


class CampaignFactory(BaseFactory):
    class Meta:
        model = Campaign

    association = factory.SubFactory(AssociationFactory)
    slug = factory.Sequence(lambda n: f"chien-dich-{n}")
    title_vi = factory.Sequence(lambda n: f"Tuần lễ Tết Việt {n}")
    kind = CampaignKind.TET_WEEK


class EventFactory(BaseFactory):
    class Meta:
        model = Event

    association = factory.SubFactory(AssociationFactory)
    slug = factory.Sequence(lambda n: f"su-kien-{n}")
    title_vi = factory.Sequence(lambda n: f"Gặp mặt kiều bào {n}")
    title_en = factory.Sequence(lambda n: f"Overseas Vietnamese gathering {n}")
    kind = EventKind.MEETING
    timezone = "Asia/Ho_Chi_Minh"
    starts_at = factory.LazyFunction(lambda: (utcnow() + timedelta(days=10)).replace(microsecond=0))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=3))
    venue_name = "Nhà văn hóa tỉnh Bắc Giang"
    venue_address = "Đường Nguyễn Văn Cừ, TP Bắc Giang"
    status = EventStatus.PUBLISHED
    visibility = Visibility.PUBLIC


class InvitationFactory(BaseFactory):
    class Meta:
        model = Invitation

    event = factory.SubFactory(EventFactory)
    contact = factory.SubFactory(ContactFactory)
