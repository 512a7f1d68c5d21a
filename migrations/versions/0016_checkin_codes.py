"""mail-speed: each invitation's door QR code, made once (checkin_codes)

Revision ID: 0016_checkin_codes
Revises: 0011_reminders_deploy
Create Date: 2026-12-04 21:00:00

"""
from alembic import op
import sqlalchemy as sa

import eventsapp.dbtypes


# revision identifiers, used by Alembic.
revision = '0016_checkin_codes'
down_revision = '0011_reminders_deploy'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checkin_codes',
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', eventsapp.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_checkin_codes_invitation_id_invitations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('invitation_id', name=op.f('pk_checkin_codes'))
    )


def downgrade():
    op.drop_table('checkin_codes')
