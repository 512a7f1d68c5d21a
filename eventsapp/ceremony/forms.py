"""Forms of the ceremony pages: the protocol table, moves in the order, tables and seats, printing."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional, Regexp

from .. import validation
from ..fields import WholeNumberField
from ..i18n import lazy_gettext as _l
from ..validation import Check
from .seating import MAX_CAPACITY, MAX_TABLES, PLAN_HEIGHT, PLAN_WIDTH

PERSON = Regexp(r"^[ig]-[0-9]{1,10}$", message=_l("This person is not on the list."))
UNIT = Regexp(r"^[id]-[0-9]{1,10}$", message=_l("This line is not in the order."))
ID_RANGE = NumberRange(1, validation.INT_MAX, message=_l("This line is not in the order."))


class PositionForm(FlaskForm):
    label = StringField(_l("Line of the table"), validators=[DataRequired(), Check(validation.text, max_length=200)],
                        description=_l("As the organisers call it, e.g. “Lãnh đạo tỉnh”"))
    keywords = TextAreaField(_l("Positions that rank here"),
                             validators=[Optional(), Check(validation.text, max_length=2000, multiline=True)],
                             description=_l("One a line, e.g. “Chủ tịch UBND tỉnh”. Written with or without "
                                            "diacritics; a position that begins with them (or holds them) ranks here."))
    delegations = BooleanField(_l("Delegations rank here (foreign guests come by delegation)"))


class PositionChangeForm(FlaskForm):
    position_id = WholeNumberField(validators=[DataRequired(), ID_RANGE])
    action = SelectField(choices=[("up", "up"), ("down", "down"), ("delete", "delete")], validate_choice=True)


class MoveForm(FlaskForm):
    unit = StringField(validators=[DataRequired(), UNIT])
    direction = SelectField(choices=[("", ""), ("up", "up"), ("down", "down")], validators=[Optional()])
    to = WholeNumberField(validators=[Optional(), NumberRange(1, 100_000)])


class TableForm(FlaskForm):
    number = WholeNumberField(_l("Number"), validators=[Optional(), NumberRange(1, MAX_TABLES)])
    name = StringField(_l("Name (optional)"), validators=[Optional(), Check(validation.text, max_length=100)])
    shape = SelectField(_l("Kind"), default="round",
                        choices=[("round", _l("Round table")), ("long", _l("Long table")),
                                 ("row", _l("Row of seats (theatre)"))])
    capacity = WholeNumberField(_l("Seats"), default=10, validators=[DataRequired(), NumberRange(1, MAX_CAPACITY)])
    x = WholeNumberField(_l("Across (0–1000)"), default=100, validators=[Optional(), NumberRange(0, PLAN_WIDTH)])
    y = WholeNumberField(_l("Down (0–700)"), default=100, validators=[Optional(), NumberRange(0, PLAN_HEIGHT)])


class TableChangeForm(TableForm):
    table_id = WholeNumberField(validators=[DataRequired(), ID_RANGE])
    delete = BooleanField()


class PlaceForm(FlaskForm):
    person = StringField(validators=[DataRequired(), PERSON])
    table_id = WholeNumberField(_l("Table number"), validators=[Optional(), ID_RANGE])
    seat = WholeNumberField(_l("Seat"), validators=[Optional(), NumberRange(1, MAX_CAPACITY)])


class PersonForm(FlaskForm):
    """A person's honorific and position as the MC reads them (the contact's, or a named guest's own)."""

    person = StringField(validators=[DataRequired(), PERSON])
    honorific = StringField(_l("Honorific"), validators=[Optional(), Check(validation.text, max_length=40)],
                            description=_l("e.g. Đồng chí, Ông, Bà, Ngài"))
    position = StringField(_l("Position"), validators=[Optional(), Check(validation.text, max_length=300)],
                           description=_l("As read aloud, e.g. Phó Chủ tịch UBND tỉnh"))
