"""Campaign form: dates may be proposed from the lunar calendar for Tết campaigns."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional, ValidationError

from .. import validation
from ..fields import DESCRIPTION_MAX, MARKDOWN, WholeNumberField
from ..i18n import lazy_gettext as _l
from ..validation import Check
from .models import CampaignKind

KIND_LABELS = {
    CampaignKind.TET_WEEK: _l("Tết Việt week"),
    CampaignKind.XUAN_QUE_HUONG: _l("Xuân Quê hương (homeland spring)"),
    CampaignKind.ANNIVERSARY: _l("Anniversary"),
    CampaignKind.AWARD_CEREMONY: _l("Award ceremony"),
    CampaignKind.CHARITY: _l("Charity drive"),
    CampaignKind.FRIENDSHIP: _l("Friendship exchange"),
    CampaignKind.OTHER: _l("Other"),
}


class CampaignForm(FlaskForm):
    association_id = SelectField(_l("Association"), coerce=int)
    kind = SelectField(_l("Kind"), choices=[(k.value, v) for k, v in KIND_LABELS.items()], default="tet_week")
    year = WholeNumberField(_l("Year (for Tết campaigns)"), validators=[Optional(), Check(validation.year)])
    title_vi = StringField(_l("Title in Vietnamese"), validators=[Optional(), Check(validation.text, max_length=300)])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Check(validation.text, max_length=300)])
    description_vi = TextAreaField(_l("Description in Vietnamese (Markdown)"), render_kw=MARKDOWN, validators=[
        Optional(), Check(validation.text, max_length=DESCRIPTION_MAX, multiline=True)])
    description_en = TextAreaField(_l("Description in English (Markdown)"), render_kw=MARKDOWN, validators=[
        Optional(), Check(validation.text, max_length=DESCRIPTION_MAX, multiline=True)])
    starts_on = DateField(_l("First day"), validators=[Optional(), Check(validation.day)])
    ends_on = DateField(_l("Last day"), validators=[Optional(), Check(validation.day)])
    propose = SubmitField(_l("Propose dates from the lunar calendar"))
    save = SubmitField(_l("Save"))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day must not be before the first day."))
