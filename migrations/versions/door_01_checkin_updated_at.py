"""door: check_ins.updated_at (the door list's version sees a check-in re-dated by a later phone), the
indexes that version reads, and door_sync_ops (queued check-ins that met an earlier one, applied once)

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
    op.create_table('door_sync_ops',
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('check_in_id', sa.Integer(), nullable=False),
    sa.Column('created_at', eventsapp.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['check_in_id'], ['check_ins.id'], name=op.f('fk_door_sync_ops_check_in_id_check_ins'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_door_sync_ops'))
    )
    op.create_index(op.f('ix_door_sync_ops_check_in_id'), 'door_sync_ops', ['check_in_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_door_sync_ops_check_in_id'), table_name='door_sync_ops')
    op.drop_table('door_sync_ops')
    op.drop_index('ix_contacts_updated_at', table_name='contacts')
    op.drop_index('ix_invitations_event_updated', table_name='invitations')
    op.drop_index('ix_check_ins_event_updated', table_name='check_ins')
    with op.batch_alter_table('check_ins') as batch_op:
        batch_op.drop_column('updated_at')
