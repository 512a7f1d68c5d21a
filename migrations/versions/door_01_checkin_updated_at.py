"""door: check_ins.updated_at, so that the door list's version sees a check-in re-dated by a later phone

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


def downgrade():
    with op.batch_alter_table('check_ins') as batch_op:
        batch_op.drop_column('updated_at')
