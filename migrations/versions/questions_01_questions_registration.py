"""questions of an event and their answers; open registration (issue 27)

Revision ID: questions_01
Revises: guests_01_settings
Create Date: 2026-12-07 21:50:00

"""
from alembic import op
import sqlalchemy as sa

from eventsapp.dbtypes import UTCDateTime

revision = "questions_01"
down_revision = "guests_01_settings"
branch_labels = None
depends_on = None

KINDS = ("choice", "choices", "yes_no", "text", "number", "date")


def upgrade():
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum(*KINDS, name="questionkind", native_enum=False, length=32), nullable=False),
        sa.Column("text_vi", sa.String(300), nullable=False),
        sa.Column("text_en", sa.String(300), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("for_invitees", sa.Boolean(), nullable=False),
        sa.Column("for_guests", sa.Boolean(), nullable=False),
        sa.Column("for_members", sa.Boolean(), nullable=False),
        sa.Column("deadline", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_questions_event_id", "questions", ["event_id"])
    op.create_table(
        "question_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("question_id", sa.Integer(), sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("invitation_id", sa.Integer(), sa.ForeignKey("invitations.id", ondelete="CASCADE")),
        sa.Column("guest_id", sa.Integer(), sa.ForeignKey("event_guests.id", ondelete="CASCADE")),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("question_id", "invitation_id", name="uq_question_answers_invitation"),
        sa.UniqueConstraint("question_id", "guest_id", name="uq_question_answers_guest"),
        sa.CheckConstraint("(invitation_id IS NULL) <> (guest_id IS NULL)", name="ck_question_answers_one_person"),
    )
    op.create_index("ix_question_answers_question_id", "question_answers", ["question_id"])
    op.create_index("ix_question_answers_invitation_id", "question_answers", ["invitation_id"])
    op.create_index("ix_question_answers_guest_id", "question_answers", ["guest_id"])
    op.create_table(
        "registration_settings",
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(50), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("guests", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("state", sa.Enum("unconfirmed", "pending", "accepted", "declined", name="registrationstate",
                                   native_enum=False, length=32), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("invitation_id", sa.Integer(), sa.ForeignKey("invitations.id", ondelete="SET NULL")),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime()),
        sa.Column("decided_at", UTCDateTime()),
    )
    op.create_index("ix_registrations_event_state", "registrations", ["event_id", "state"])


def downgrade():
    op.drop_table("registrations")
    op.drop_table("registration_settings")
    op.drop_table("question_answers")
    op.drop_table("questions")
