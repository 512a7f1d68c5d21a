"""Open registration (issue 27): people nobody invited by name register on an event's public page."""
