"""mail-loop: inbound messages; undeliverable contact addresses

Revision ID: 0014_mail_loop
Revises: 0008_attendance
"""
from alembic import op
import sqlalchemy as sa

import eventsapp.dbtypes

revision = "0014_mail_loop"
down_revision = "0008_attendance"
branch_labels = None
depends_on = None

STATES = ("new", "done", "ignored", "failed")
KINDS = ("calendar_reply", "calendar_other", "bounce", "auto_reply", "unsubscribe", "human", "malformed")


def upgrade():
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_key", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("envelope_recipient", sa.String(length=254), nullable=False),
        sa.Column("from_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("state", sa.Enum(*STATES, name="inboundstate", native_enum=False, length=32), nullable=False),
        sa.Column("kind", sa.Enum(*KINDS, name="inboundkind", native_enum=False, length=32), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("received_at", eventsapp.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", eventsapp.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["outbox_message_id"], ["outbox_messages.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_key"),
    )
    with op.batch_alter_table("inbound_messages") as batch:
        batch.create_index("ix_inbound_event_kind", ["event_id", "kind"], unique=False)
        batch.create_index(batch.f("ix_inbound_messages_contact_id"), ["contact_id"], unique=False)
        batch.create_index(batch.f("ix_inbound_messages_invitation_id"), ["invitation_id"], unique=False)
        batch.create_index(batch.f("ix_inbound_messages_outbox_message_id"), ["outbox_message_id"], unique=False)
        batch.create_index(batch.f("ix_inbound_messages_state"), ["state"], unique=False)
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("undeliverable_at", eventsapp.dbtypes.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("undeliverable_reason", sa.String(length=500), server_default="", nullable=False))
        batch.add_column(sa.Column("soft_bounces", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("soft_bounces")
        batch.drop_column("undeliverable_reason")
        batch.drop_column("undeliverable_at")
    op.drop_table("inbound_messages")
