"""associations: identity on public pages and e-mails (logo, colour)

Revision ID: 0013_see_pages
Revises: 0015_door
Create Date: 2026-12-04 17:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_see_pages'
down_revision = "0015_door"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('associations') as batch_op:
        batch_op.add_column(sa.Column('logo_png', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('logo_version', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('brand_color', sa.String(length=7), nullable=True))


def downgrade():
    with op.batch_alter_table('associations') as batch_op:
        batch_op.drop_column('brand_color')
        batch_op.drop_column('logo_version')
        batch_op.drop_column('logo_png')
