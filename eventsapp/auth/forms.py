"""Sign-in form, and the account address validator the account forms share."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, ValidationError

from ..i18n import lazy_gettext as _l
from . import services


class AccountAddress:
    """WTForms validator: `services.check_address`, the rule `flask users create` applies too."""

    def __call__(self, form, field):
        try:
            services.check_address(field.data or "")
        except services.AccountError as error:
            raise ValidationError(str(error)) from None


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")), AccountAddress()])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Keep me signed in"))
