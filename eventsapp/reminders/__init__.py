"""Reminder rules and their scheduling."""
