"""delegations (issue 27): a delegation member's time zone, for the times in their own e-mails

Revision ID: guests_02_member_timezone
Revises: world_01
Create Date: 2026-12-08 01:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "guests_02_member_timezone"
down_revision = "world_01"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event_guests") as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(64), nullable=True))


def downgrade():
    with op.batch_alter_table("event_guests") as batch_op:
        batch_op.drop_column("timezone")
