"""inbound: what an unverified answer by mail claimed (kept for the organisers, not applied)

Revision ID: inbound_01_claims
Revises: door_01_checkin_updated_at
Create Date: 2026-12-07 18:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "inbound_01_claims"
down_revision = "door_01_checkin_updated_at"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("inbound_messages") as batch_op:
        batch_op.add_column(sa.Column("claim", sa.String(length=32), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("inbound_messages") as batch_op:
        batch_op.drop_column("claim")
