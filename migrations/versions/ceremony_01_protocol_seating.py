"""the ceremony (issue 28): an association's protocol table, an event's tables and seats

Revision ID: ceremony_01_seating
Revises: shared_01_people
Create Date: 2026-12-07 22:00:00

"""
from alembic import op
import sqlalchemy as sa

from eventsapp.dbtypes import UTCDateTime

revision = "ceremony_01_seating"
down_revision = "shared_01_people"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "protocol_positions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("association_id", sa.Integer(), sa.ForeignKey("associations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("keywords", sa.String(2000), nullable=False),
        sa.Column("delegations", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_protocol_positions_association_id", "protocol_positions", ["association_id"])
    op.create_table(
        "seat_tables",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("shape", sa.String(10), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("y", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("event_id", "number", name="uq_seat_tables_event_number"),
        sa.CheckConstraint("capacity >= 1", name="ck_seat_tables_capacity"),
    )
    op.create_index("ix_seat_tables_event_id", "seat_tables", ["event_id"])
    op.create_table(
        "seat_assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("table_id", sa.Integer(), sa.ForeignKey("seat_tables.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), sa.ForeignKey("invitations.id", ondelete="CASCADE")),
        sa.Column("guest_id", sa.Integer(), sa.ForeignKey("event_guests.id", ondelete="CASCADE")),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("table_id", "seat", name="uq_seat_assignments_seat"),
        sa.UniqueConstraint("event_id", "invitation_id", name="uq_seat_assignments_invitation"),
        sa.UniqueConstraint("event_id", "guest_id", name="uq_seat_assignments_guest"),
        sa.CheckConstraint("(invitation_id IS NULL) <> (guest_id IS NULL)", name="ck_seat_assignments_person"),
    )
    op.create_index("ix_seat_assignments_table_id", "seat_assignments", ["table_id"])
    op.create_index("ix_seat_assignments_event_updated", "seat_assignments", ["event_id", "updated_at"])
    op.create_table(
        "seating_states",
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("cards_printed_at", UTCDateTime()),
    )


def downgrade():
    op.drop_table("seating_states")
    op.drop_index("ix_seat_assignments_event_updated", table_name="seat_assignments")
    op.drop_index("ix_seat_assignments_table_id", table_name="seat_assignments")
    op.drop_table("seat_assignments")
    op.drop_index("ix_seat_tables_event_id", table_name="seat_tables")
    op.drop_table("seat_tables")
    op.drop_index("ix_protocol_positions_association_id", table_name="protocol_positions")
    op.drop_table("protocol_positions")
