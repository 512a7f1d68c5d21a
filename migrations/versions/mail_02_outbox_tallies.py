"""mail (issue 26): the message log at 100,000 messages: outbox_tallies (counts kept by PostgreSQL triggers, filled from
the existing rows), the index of a send's messages waiting for their time
and that of the log's search by recipient

Revision ID: mail_02_outbox_tallies
Revises: registration_02_sms_codes
Create Date: 2026-12-08 01:10:00

"""
from alembic import op
import sqlalchemy as sa

from eventsapp.dbtypes import UTCDateTime

revision = "mail_02_outbox_tallies"
down_revision = "registration_02_sms_codes"
branch_labels = None
depends_on = None

KEY = "event_id, campaign_id, send_id, kind, channel, state"

# One function for the three statement-level triggers: each statement's changed rows, grouped by key,
# appended as signed counts (an update adds its new rows and takes away its old ones; no row when nothing
# of the key changed). Append-only: concurrent senders never wait on a shared counter.
TALLY_FUNCTION = f"""
CREATE FUNCTION outbox_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO outbox_tallies ({KEY}, delivered, first_at, n)
    SELECT {KEY}, delivery_status = 'delivered', min(created_at), count(*)
    FROM new_rows GROUP BY {KEY}, delivery_status = 'delivered';
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO outbox_tallies ({KEY}, delivered, first_at, n)
    SELECT {KEY}, delivery_status = 'delivered', NULL, -count(*)
    FROM old_rows GROUP BY {KEY}, delivery_status = 'delivered';
  ELSE
    INSERT INTO outbox_tallies ({KEY}, delivered, first_at, n)
    SELECT {KEY}, delivered, min(first_at), sum(n) FROM (
      SELECT {KEY}, delivery_status = 'delivered' AS delivered, created_at AS first_at, 1 AS n FROM new_rows
      UNION ALL
      SELECT {KEY}, delivery_status = 'delivered', NULL, -1 FROM old_rows) AS changes
    GROUP BY {KEY}, delivered HAVING sum(n) <> 0;
  END IF;
  RETURN NULL;
END $$
"""
TRIGGERS = {
    "outbox_tally_insert": "AFTER INSERT ON outbox_messages REFERENCING NEW TABLE AS new_rows",
    "outbox_tally_update": "AFTER UPDATE ON outbox_messages REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "outbox_tally_delete": "AFTER DELETE ON outbox_messages REFERENCING OLD TABLE AS old_rows",
}


def upgrade():
    op.create_table(
        "outbox_tallies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("send_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("first_at", UTCDateTime(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("outbox_tallies") as batch_op:
        batch_op.create_index("ix_outbox_tallies_event", ["event_id"])
        batch_op.create_index("ix_outbox_tallies_campaign", ["campaign_id"])
        batch_op.create_index("ix_outbox_tallies_send", ["send_id"])
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.create_index("ix_outbox_event_recipient", ["event_id", "recipient"],
                              postgresql_ops={"recipient": "varchar_pattern_ops"})
        batch_op.create_index("ix_outbox_send_waiting", ["send_id", "next_attempt_at"],
                              postgresql_where=sa.text("state = 'queued' AND attempts = 0"),
                              sqlite_where=sa.text("state = 'queued' AND attempts = 0"))
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: the counts are read from outbox_messages itself
    op.execute("LOCK TABLE outbox_messages IN SHARE MODE")  # no change slips between the filling and the triggers
    op.execute(f"""INSERT INTO outbox_tallies ({KEY}, delivered, first_at, n)
                   SELECT {KEY}, delivery_status = 'delivered', min(created_at), count(*)
                   FROM outbox_messages GROUP BY {KEY}, delivery_status = 'delivered'""")
    op.execute(TALLY_FUNCTION)
    for name, when in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION outbox_tally()")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON outbox_messages")
        op.execute("DROP FUNCTION IF EXISTS outbox_tally()")
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_index("ix_outbox_send_waiting")
        batch_op.drop_index("ix_outbox_event_recipient")
    op.drop_table("outbox_tallies")
