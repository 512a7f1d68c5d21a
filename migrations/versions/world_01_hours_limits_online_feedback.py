"""world (issue 30): quiet hours per association; the outbox's claim priority; personal join links and
online attendance; feedback forms and answers

Revision ID: world_01
Revises: trust_01_audit_privacy
Create Date: 2026-12-07 22:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa

from eventsapp.dbtypes import UTCDateTime


revision = "world_01"
down_revision = "trust_01_audit_privacy"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("associations") as batch_op:
        batch_op.add_column(sa.Column("quiet_from", sa.Time(), nullable=False, server_default="21:00:00"))
        batch_op.add_column(sa.Column("quiet_until", sa.Time(), nullable=False, server_default="07:00:00"))
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="5"))
        batch_op.create_index("ix_outbox_state_priority_due", ["state", "priority", "next_attempt_at"])

    # Every invitation gets its personal join link (a random token, as new ones get from the model).
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.add_column(sa.Column("join_token", sa.String(64), nullable=True))
    connection = op.get_bind()
    invitations = sa.table("invitations", sa.column("id", sa.Integer), sa.column("join_token", sa.String))
    ids = connection.execute(sa.select(invitations.c.id)).scalars().all()
    for start in range(0, len(ids), 1000):
        connection.execute(invitations.update().where(invitations.c.id == sa.bindparam("b_id"))
                           .values(join_token=sa.bindparam("b_token")),
                           [{"b_id": i, "b_token": secrets.token_urlsafe(24)} for i in ids[start:start + 1000]])
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.alter_column("join_token", existing_type=sa.String(64), nullable=False)
        batch_op.create_unique_constraint("uq_invitations_join_token", ["join_token"])

    op.create_table(
        "online_joins",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("invitation_id", sa.Integer(), sa.ForeignKey("invitations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("invitation_id", name="uq_online_joins_invitation_id"),
    )
    op.create_index("ix_online_joins_event_id", "online_joins", ["event_id"])

    op.create_table(
        "feedback_forms",
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("question_vi", sa.String(300), nullable=False),
        sa.Column("question_en", sa.String(300), nullable=False),
        sa.Column("open_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "feedback_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("invitation_id", sa.Integer(), sa.ForeignKey("invitations.id", ondelete="SET NULL")),
        sa.Column("marker", sa.String(64), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("better", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("event_id", "marker", name="uq_feedback_answers_event_marker"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_feedback_answers_rating_1_to_5"),
    )
    op.create_index("ix_feedback_answers_event_id", "feedback_answers", ["event_id"])


def downgrade():
    op.drop_index("ix_feedback_answers_event_id", table_name="feedback_answers")
    op.drop_table("feedback_answers")
    op.drop_table("feedback_forms")
    op.drop_index("ix_online_joins_event_id", table_name="online_joins")
    op.drop_table("online_joins")
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.drop_constraint("uq_invitations_join_token", type_="unique")
        batch_op.drop_column("join_token")
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_index("ix_outbox_state_priority_due")
        batch_op.drop_column("priority")
    with op.batch_alter_table("associations") as batch_op:
        batch_op.drop_column("quiet_until")
        batch_op.drop_column("quiet_from")
