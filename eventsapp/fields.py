"""Form fields and bounds that several domains' forms and APIs share.

A ground module: events, campaigns and the rest import it; it imports no domain.
"""
from __future__ import annotations

from wtforms import IntegerField

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
