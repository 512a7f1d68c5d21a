"""Form fields and bounds that several domains' forms and APIs share.

A ground module: events, campaigns and the rest import it; it imports no domain.
"""
from __future__ import annotations

from wtforms import IntegerField, StringField

from . import validation
from .i18n import lazy_gettext as _l

DESCRIPTION_MAX = 100_000  # characters of Markdown; the API's bound too
MARKDOWN = {"data-markdown": ""}  # static/js/markdown.js gives the field its toolbar and preview


class WholeNumberField(IntegerField):
    """An integer field whose parse error is in the reader's language."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Enter a whole number.")) from error


class WallTimeField(StringField):
    """A time of day ("21:00", `<input type="time">`) read by `validation.wall_time`; data is a `time`."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"type": "time"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            try:
                self.data = validation.wall_time(valuelist[0])
            except validation.Invalid as error:
                self.data = None
                raise ValueError(error.message) from error

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if self.data else ""
