"""Invitations and the RSVP page."""
from . import receivers  # noqa: F401  (signal receivers)
