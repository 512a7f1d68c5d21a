"""Every domain's models, imported so that Alembic and the shell see them all."""
from .associations.models import Association, AssociationKind, Membership, Role  # noqa: F401
from .attendance.models import CertificateTemplate, CheckIn, Printable  # noqa: F401
from .auth.models import ApiToken, User  # noqa: F401
from .campaigns.models import Campaign, CampaignKind, CampaignStatus  # noqa: F401
from .ceremony.models import ProtocolPosition, SeatAssignment, SeatingState, SeatTable  # noqa: F401
from .contacts.models import Contact, ContactTag, ImportBatch, contact_associations  # noqa: F401
from .events.models import ChangeKind, Event, EventChange, EventKind, EventStatus, Honoree, Visibility  # noqa: F401
from .feeds.models import Feed, FeedKind  # noqa: F401
from .guests.models import Delegation, EventGuest  # noqa: F401
from .health.models import WorkerHeartbeat  # noqa: F401
from .inbound.models import InboundKind, InboundMessage, InboundState  # noqa: F401
from .invitations.models import Invitation, InvitationStatus  # noqa: F401
from .mail.models import Channel, MessageKind, MessageState, OutboxMessage  # noqa: F401
from .reminders.models import Anchor, ReminderRule, RuleKind, SkipReason  # noqa: F401
