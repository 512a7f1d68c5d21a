"""guests: an event's settings for named guests and delegations (guests must be named; delegations are
asked their members' nationality and passport)

Revision ID: guests_01_settings
Revises: channels_01
Create Date: 2026-12-07 22:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = "guests_01_settings"
down_revision = "channels_01"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("guests_must_be_named", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("delegations_ask_passport", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("delegations_ask_passport")
        batch_op.drop_column("guests_must_be_named")
