"""Every domain's models, imported so that Alembic and the shell see them all."""
from .associations.models import Association, AssociationKind, Membership, Role  # noqa: F401
from .attendance.models import (  # noqa: F401
    CertificateTemplate,
    CheckIn,
    OnlineJoin,  # noqa: F401
    Printable,
)
from .audit.models import AuditEntry  # noqa: F401
from .auth.models import ApiToken, User  # noqa: F401
from .campaigns.models import Campaign, CampaignKind, CampaignStatus  # noqa: F401
from .ceremony.models import ProtocolPosition, SeatAssignment, SeatingState, SeatTable  # noqa: F401
from .channels.models import EventChannelOrder, ProviderToken, ShortLink, ZaloTemplate  # noqa: F401
from .contacts.models import Contact, ContactTag, ImportBatch, contact_associations  # noqa: F401
from .events.models import ChangeKind, Event, EventChange, EventKind, EventStatus, Honoree, Visibility  # noqa: F401
from .feedback.models import FeedbackAnswer, FeedbackForm  # noqa: F401
from .feeds.models import Feed, FeedKind  # noqa: F401
from .guests.models import Delegation, EventGuest  # noqa: F401
from .health.models import WorkerHeartbeat  # noqa: F401
from .inbound.models import InboundKind, InboundMessage, InboundState  # noqa: F401
from .invitations.models import Invitation, InvitationStatus  # noqa: F401
from .mail.models import Channel, MessageKind, MessageState, OutboxMessage  # noqa: F401
from .privacy.models import Basis, ContactConsent, Purpose, Source  # noqa: F401
from .questions.models import Question, QuestionAnswer  # noqa: F401
from .registration.models import Registration, RegistrationSettings  # noqa: F401
from .reminders.models import Anchor, ReminderRule, RuleKind, SkipReason  # noqa: F401
