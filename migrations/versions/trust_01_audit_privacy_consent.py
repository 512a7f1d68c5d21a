"""trust (issue 29): the audit log (hash-chained entries), contacts' consents per purpose and channel,
and each contact's secret link to their own data

Revision ID: trust_01_audit_privacy
Revises: questions_01
Create Date: 2026-12-07 22:00:00

"""
from alembic import op
import sqlalchemy as sa

from eventsapp.dbtypes import UTCDateTime

revision = "trust_01_audit_privacy"
down_revision = "questions_01"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer()),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("ip", sa.String(45), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target_type", sa.String(40), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("association_id", sa.Integer()),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_index("ix_audit_entries_at", "audit_entries", ["at"])
    op.create_index("ix_audit_entries_actor_id", "audit_entries", ["actor_id"])
    op.create_index("ix_audit_entries_action", "audit_entries", ["action"])
    op.create_index("ix_audit_entries_association_id", "audit_entries", ["association_id"])

    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(sa.Column("erased_at", UTCDateTime()))
    op.create_table(
        "contact_consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("purpose", sa.Enum("invitations", "reminders", "newsletter", name="purpose", native_enum=False,
                                     length=32), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.Enum("import", "registration", "rsvp", "staff_phone", "unsubscribe", "privacy_page",
                                    name="source", native_enum=False, length=32), nullable=False),
        sa.Column("basis", sa.Enum("consent", "membership", "contract", "none", name="basis", native_enum=False,
                                   length=32), nullable=False),
        sa.Column("wording_version", sa.String(40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
    )
    op.create_index("ix_contact_consents_contact_purpose", "contact_consents",
                    ["contact_id", "purpose", "channel", "id"])


def downgrade():
    op.drop_table("contact_consents")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("erased_at")
    op.drop_table("audit_entries")
