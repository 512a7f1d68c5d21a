"""door: offline check-in ids, printables (PDF batches), certificate templates

Revision ID: 0015_door
Revises: 0014_mail_loop
Create Date: 2026-12-04 17:30:00

"""
from alembic import op
import sqlalchemy as sa

import eventsapp.dbtypes


revision = '0015_door'
down_revision = "0014_mail_loop"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_check_ins_client_id'), ['client_id'])

    op.create_table('printables',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', eventsapp.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', eventsapp.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_printables_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_printables_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_printables'))
    )
    with op.batch_alter_table('printables', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_printables_event_id'), ['event_id'], unique=False)

    op.create_table('certificate_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('intro', sa.String(length=300), nullable=False),
    sa.Column('signer_title', sa.String(length=200), nullable=False),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('logo_png', sa.LargeBinary(), nullable=True),
    sa.Column('updated_at', eventsapp.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['associations.id'], name=op.f('fk_certificate_templates_association_id_associations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_templates')),
    sa.UniqueConstraint('association_id', name=op.f('uq_certificate_templates_association_id'))
    )


def downgrade():
    op.drop_table('certificate_templates')
    with op.batch_alter_table('printables', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_printables_event_id'))
    op.drop_table('printables')
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_check_ins_client_id'), type_='unique')
        batch_op.drop_column('client_id')
