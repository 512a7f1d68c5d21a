"""Dashboard and language switch."""
