"""registration by phone (issue 27): when a registration's SMS code was issued, and the wrong tries on it
(the code itself is derived from these with the app's key: nothing secret is stored)

Revision ID: registration_02_sms_codes
Revises: guests_02_member_timezone
Create Date: 2026-12-08 01:15:00

"""
from alembic import op
import sqlalchemy as sa

from eventsapp.dbtypes import UTCDateTime

revision = "registration_02_sms_codes"
down_revision = "guests_02_member_timezone"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registrations") as batch_op:
        batch_op.add_column(sa.Column("code_sent_at", UTCDateTime()))
        batch_op.add_column(sa.Column("code_attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("registrations") as batch_op:
        batch_op.drop_column("code_attempts")
        batch_op.drop_column("code_sent_at")
