"""channels (issue 26): SMS and Zalo through the outbox: provider ids, receipts, segments and cost on
outbox rows; short links; Zalo templates per association; OAuth tokens; an event's channel order

Revision ID: channels_01
Revises: people_01_contacts
Create Date: 2026-12-07 22:00:00

"""
from alembic import op
import sqlalchemy as sa

from eventsapp.dbtypes import UTCDateTime

revision = "channels_01"
down_revision = "people_01_contacts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("provider", sa.String(20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("provider_message_id", sa.String(100), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("delivery_status", sa.String(20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("delivered_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("segments", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("cost", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_outbox_messages_provider_message_id", ["provider_message_id"])
        batch_op.create_index("ix_outbox_event_created", ["event_id", "created_at", "id"])
        batch_op.create_index("ix_outbox_event_state_channel", ["event_id", "state", "channel"])
    op.create_table(
        "short_links",
        sa.Column("code", sa.String(24), primary_key=True),
        sa.Column("invitation_id", sa.Integer(), sa.ForeignKey("invitations.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "zalo_templates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("association_id", sa.Integer(), sa.ForeignKey("associations.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("template_id", sa.String(40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("text", sa.String(400), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("association_id", "kind", name="uq_zalo_templates_association_kind"),
    )
    op.create_index("ix_zalo_templates_association_id", "zalo_templates", ["association_id"])
    op.create_table(
        "provider_tokens",
        sa.Column("provider", sa.String(20), primary_key=True),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "event_channel_orders",
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("channels", sa.String(60), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade():
    op.drop_table("event_channel_orders")
    op.drop_table("provider_tokens")
    op.drop_index("ix_zalo_templates_association_id", table_name="zalo_templates")
    op.drop_table("zalo_templates")
    op.drop_table("short_links")
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_index("ix_outbox_event_state_channel")
        batch_op.drop_index("ix_outbox_event_created")
        batch_op.drop_index("ix_outbox_messages_provider_message_id")
        for name in ("cost", "segments", "delivered_at", "delivery_status", "provider_message_id", "provider"):
            batch_op.drop_column(name)
