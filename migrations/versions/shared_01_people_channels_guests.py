"""shared models of issues 26-28: a contact's honorific, position, postal address and preferred channel;
the outbox's channel; named guests and delegations; protocol ranks; check-ins of named guests

Revision ID: shared_01_people
Revises: inbound_01_claims
Create Date: 2026-12-07 21:45:00

"""
from alembic import op
import sqlalchemy as sa

from eventsapp.dbtypes import UTCDateTime

revision = "shared_01_people"
down_revision = "inbound_01_claims"
branch_labels = None
depends_on = None

ACTIVE = sa.text("undone_at IS NULL")


def upgrade():
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(sa.Column("honorific", sa.String(40), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("position", sa.String(300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("postal_address", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("preferred_channel", sa.String(10), nullable=False, server_default="email"))
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.add_column(sa.Column("protocol_rank", sa.Integer(), nullable=True))
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(32), nullable=False, server_default="email"))

    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("organisation_contact_id", sa.Integer(), sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("leader_contact_id", sa.Integer(), sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("leader_invitation_id", sa.Integer(), sa.ForeignKey("invitations.id", ondelete="SET NULL")),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("deadline", UTCDateTime()),
        sa.Column("protocol_rank", sa.Integer()),
        sa.Column("revoked_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_delegations_event_id", "delegations", ["event_id"])
    op.create_table(
        "event_guests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("invitation_id", sa.Integer(), sa.ForeignKey("invitations.id", ondelete="CASCADE")),
        sa.Column("delegation_id", sa.Integer(), sa.ForeignKey("delegations.id", ondelete="CASCADE")),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("honorific", sa.String(40), nullable=False),
        sa.Column("position", sa.String(300), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(20)),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("nationality", sa.String(100), nullable=False),
        sa.Column("passport_number", sa.String(40), nullable=False),
        sa.Column("passport_expires_on", sa.Date()),
        sa.Column("checkin_token", sa.String(64), nullable=False, unique=True),
        sa.Column("protocol_rank", sa.Integer()),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    for column in ("event_id", "invitation_id", "delegation_id", "contact_id"):
        op.create_index(f"ix_event_guests_{column}", "event_guests", [column])
    op.create_index("ix_event_guests_event_updated", "event_guests", ["event_id", "updated_at"])

    with op.batch_alter_table("check_ins") as batch_op:
        batch_op.alter_column("contact_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("guest_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_check_ins_guest_id_event_guests", "event_guests", ["guest_id"], ["id"],
                                    ondelete="CASCADE")
        batch_op.create_index("ix_check_ins_guest_id", ["guest_id"])
    op.create_index("uq_check_ins_active_guest", "check_ins", ["event_id", "guest_id"], unique=True,
                    postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def downgrade():
    op.drop_index("uq_check_ins_active_guest", table_name="check_ins")
    with op.batch_alter_table("check_ins") as batch_op:
        batch_op.drop_index("ix_check_ins_guest_id")
        batch_op.drop_constraint("fk_check_ins_guest_id_event_guests", type_="foreignkey")
        batch_op.drop_column("guest_id")
        batch_op.alter_column("contact_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("event_guests")
    op.drop_table("delegations")
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_column("channel")
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.drop_column("protocol_rank")
    with op.batch_alter_table("contacts") as batch_op:
        for column in ("preferred_channel", "postal_address", "position", "honorific"):
            batch_op.drop_column(column)
