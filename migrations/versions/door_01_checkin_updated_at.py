"""door: check_ins.updated_at (the door list's version sees a check-in re-dated by a later phone), and the
indexes that version reads

Revision ID: door_01_checkin_updated_at
Revises: 0016_checkin_codes
Create Date: 2026-12-07 18:00:00

"""
from alembic import op
import sqlalchemy as sa

import eventsapp.dbtypes


# revision identifiers, used by Alembic.
revision = 'door_01_checkin_updated_at'
down_revision = '0016_checkin_codes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('check_ins') as batch_op:
        batch_op.add_column(sa.Column('updated_at', eventsapp.dbtypes.UTCDateTime(timezone=True),
                                      nullable=False, server_default=sa.func.current_timestamp()))
    op.create_index('ix_check_ins_event_updated', 'check_ins', ['event_id', 'updated_at'])
    op.create_index('ix_invitations_event_updated', 'invitations', ['event_id', 'updated_at'])
    op.create_index('ix_contacts_updated_at', 'contacts', ['updated_at'])


def downgrade():
    op.drop_index('ix_contacts_updated_at', table_name='contacts')
    op.drop_index('ix_invitations_event_updated', table_name='invitations')
    op.drop_index('ix_check_ins_event_updated', table_name='check_ins')
    with op.batch_alter_table('check_ins') as batch_op:
        batch_op.drop_column('updated_at')
