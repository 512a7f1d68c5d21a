"""Which domain packages have web blueprints; `create_app` registers them all.

A domain exposes `bp` in its `views.py`. The JSON API is one blueprint
(`eventsapp.api`) into which each domain's `api.py` adds its routes.
"""
from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

DOMAINS = (
    "main", "health", "auth", "associations", "contacts", "campaigns", "events",
    "invitations", "mail", "channels", "inbound", "reminders", "feeds", "attendance", "guests", "questions",
    "registration", "ceremony", "audit", "privacy", "feedback", "api",
)


def optional_module(name: str):
    """Import `name` if the module exists (domains add views and APIs over time)."""
    return import_module(name) if find_spec(name) is not None else None


def BLUEPRINTS():
    for domain in DOMAINS:
        views = optional_module(f"eventsapp.{domain}.views")
        if views is not None:
            yield views.bp
