"""Invitations and the RSVP page."""
