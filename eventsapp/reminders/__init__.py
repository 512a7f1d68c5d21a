"""Reminder rules and their scheduling."""
from . import receivers  # noqa: F401  (connects the event signals)
