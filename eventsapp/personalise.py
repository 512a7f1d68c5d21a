"""Batch rendering by substitution: render once per kind of reader, then splice in what is personal.

Within a send (`mail.renderers.rendering_batch`, around a dispatcher's batches), a message part that
thousands of readers share is rendered once and copied for each reader. The rule that makes a copy byte-identical to rendering
that reader's message directly (tests/test_invitations_email.py and test_reminders_email.py check it):

1. The shared render is keyed by everything it depends on besides the personal fields (language, zone,
   answer, guests, event version, kind…). A field that changes the layout (not just a value) belongs
   in the key, never in a stand-in.
2. Every personal field is rendered as its stand-in, `stand_in(NAME)`: ASCII letters and digits only,
   so HTML escaping, URL quoting and iCalendar escaping leave it as it is, and no template text or
   other value contains it by accident.
3. Each copy replaces every stand-in in ONE pass (`Shared.fill`), so a personal value that happens to
   contain a stand-in is never substituted again, with the value escaped as its place requires
   (the caller passes HTML-escaped values for an HTML part).

The mail templates are rendered with `StrictUndefined` (`render_mail_template`): a name missing from
the context is an error at render time, never an empty string in thousands of e-mails.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from flask import current_app
from jinja2 import StrictUndefined

_PREFIX, _SUFFIX = "EVENTSAPP", "7F3C"
_STAND_IN = re.compile(f"{_PREFIX}([A-Z]+){_SUFFIX}")


def stand_in(field: str) -> str:
    """The stand-in rendered in place of personal field `field` (upper-case letters)."""
    if not field.isalpha() or not field.isupper():
        raise ValueError(f"a stand-in name is upper-case letters: {field!r}")
    return f"{_PREFIX}{field}{_SUFFIX}"


class Shared:
    """A render with stand-ins; `fill(values)` is one reader's copy."""

    __slots__ = ("text", "_pieces")

    def __init__(self, text: str):
        self.text = text
        # Split once where the stand-ins are: the text between them, and their fields at the odd places.
        # Each copy only joins the pieces (thousands of copies: the pattern is searched once, not in each).
        self._pieces = _STAND_IN.split(text)

    def fill(self, values: Mapping[str, str]) -> str:
        """`text` with each stand-in replaced by `values[field]` in one pass (rule 3)."""
        pieces = self._pieces.copy()
        pieces[1::2] = [values[field] for field in pieces[1::2]]
        return "".join(pieces)


def shared(memo: dict | None, key, render: Callable[[], tuple[str, ...]]) -> tuple[Shared, ...] | None:
    """The batch's shared renders for `key` (rendered once by `render()`); None outside a batch."""
    if memo is None:
        return None
    if key not in memo:
        memo[key] = tuple(Shared(text) for text in render())
    return memo[key]


def render_mail_template(name: str, **context) -> str:
    """A mail template rendered with StrictUndefined and without request context processors (workers
    have no request): Flask's environment (filters, globals, loader), overlaid once per app."""
    environment = current_app.extensions.get("mail_jinja_env")
    if environment is None:
        environment = current_app.extensions["mail_jinja_env"] = current_app.jinja_env.overlay(
            undefined=StrictUndefined)
    return environment.get_template(name).render(**context)
