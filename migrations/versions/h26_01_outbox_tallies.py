"""h26: the indexes that find an event's (a campaign's) sends and when each started without reading
every message (the message log at 100,000 messages)

Revision ID: h26_01_outbox_send_indexes
Revises: world_01
Create Date: 2026-12-08 01:10:00

"""
from alembic import op

revision = "h26_01_outbox_send_indexes"
down_revision = "world_01"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.create_index("ix_outbox_event_send", ["event_id", "send_id", "created_at"])
        batch_op.create_index("ix_outbox_campaign_send", ["campaign_id", "send_id", "created_at"])


def downgrade():
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_index("ix_outbox_campaign_send")
        batch_op.drop_index("ix_outbox_event_send")
