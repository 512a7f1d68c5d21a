"""Imports every domain's tasks so that a worker registers them all."""
from .blueprints import DOMAINS, optional_module

for _domain in DOMAINS:
    optional_module(f"eventsapp.{_domain}.tasks")
