"""Sign-in, staff accounts and API tokens."""
