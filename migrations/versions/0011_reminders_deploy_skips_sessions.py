"""reminders-deploy: invitees a reminder left out (reminder_skips); users.session_version

Revision ID: 0011_reminders_deploy
Revises: 0013_see_pages
Create Date: 2026-12-04 17:30:00

"""
from alembic import op
import sqlalchemy as sa

import eventsapp.dbtypes


# revision identifiers, used by Alembic.
revision = '0011_reminders_deploy'
down_revision = "0013_see_pages"
branch_labels = None
depends_on = None

SKIP_REASONS = ('started', 'too_late', 'cancelled', 'not_published', 'removed', 'superseded', 'published_late',
                'not_invited', 'invited_late', 'recently_reminded')


def upgrade():
    op.create_table('reminder_skips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum(*SKIP_REASONS, name='skipreason', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', eventsapp.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_reminder_skips_invitation_id_invitations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['reminder_rules.id'], name=op.f('fk_reminder_skips_rule_id_reminder_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_skips')),
    sa.UniqueConstraint('rule_id', 'invitation_id', name=op.f('uq_reminder_skips_rule_id'))
    )
    with op.batch_alter_table('reminder_skips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_skips_invitation_id'), ['invitation_id'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    with op.batch_alter_table('reminder_skips', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_skips_invitation_id'))
    op.drop_table('reminder_skips')
