"""people (issue 26): a contact without e-mail (NULL, no placeholder); phones in E.164, unique when present;
answers recorded by staff (who, by phone or in person) and printed cards handed over

Revision ID: people_01_contacts
Revises: ceremony_01_seating
Create Date: 2026-12-07 22:00:00

"""
from alembic import op
import sqlalchemy as sa

from eventsapp.dbtypes import UTCDateTime

revision = "people_01_contacts"
down_revision = "ceremony_01_seating"
branch_labels = None
depends_on = None

PRESENT = sa.text("phone <> ''")
# A number this migration could not read (or one another contact already has) is kept in the notes, in words.
KEPT_NOTE = "Số điện thoại cũ (chưa đọc được): {phone}"


def _normalised(phone: str) -> str | None:
    """E.164 for a number as people write it (Vietnam by default), None when it is no valid number."""
    import phonenumbers

    try:
        number = phonenumbers.parse(phone, "VN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalise_phones(connection) -> None:
    contacts = sa.table("contacts", sa.column("id", sa.Integer), sa.column("phone", sa.String),
                        sa.column("notes", sa.Text))
    taken: set[str] = set()
    rows = connection.execute(sa.select(contacts.c.id, contacts.c.phone, contacts.c.notes)
                              .where(contacts.c.phone != "").order_by(contacts.c.id)).all()
    for contact_id, phone, notes in rows:
        number = _normalised(phone)
        if number is not None and number not in taken:
            taken.add(number)
            values = {"phone": number}
        else:  # never lost: the notes keep what was written
            note = KEPT_NOTE.format(phone=phone.strip())
            values = {"phone": "", "notes": f"{notes}\n{note}" if (notes or "").strip() else note}
        if values.get("phone") != phone:
            connection.execute(sa.update(contacts).where(contacts.c.id == contact_id).values(**values))


def upgrade():
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(254), nullable=True)
    # Walk-ins' placeholders (walkin-…@walk-in.invalid) become "no e-mail".
    op.execute("UPDATE contacts SET email = NULL WHERE email LIKE '%.invalid' OR email = ''")
    _normalise_phones(op.get_bind())
    op.create_index("uq_contacts_phone", "contacts", ["phone"], unique=True,
                    postgresql_where=PRESENT, sqlite_where=PRESENT)

    with op.batch_alter_table("invitations") as batch_op:
        batch_op.add_column(sa.Column("answered_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("answer_source", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("card_handed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("card_handed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_invitations_answered_by_id_users", "users", ["answered_by_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_foreign_key("fk_invitations_card_handed_by_id_users", "users", ["card_handed_by_id"],
                                    ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.drop_constraint("fk_invitations_card_handed_by_id_users", type_="foreignkey")
        batch_op.drop_constraint("fk_invitations_answered_by_id_users", type_="foreignkey")
        for column in ("card_handed_by_id", "card_handed_at", "answer_source", "answered_by_id"):
            batch_op.drop_column(column)
    op.drop_index("uq_contacts_phone", table_name="contacts")
    # A contact without e-mail gets back the placeholder the older code expects.
    op.execute("UPDATE contacts SET email = 'walkin-' || id || '@walk-in.invalid' WHERE email IS NULL")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(254), nullable=False)
