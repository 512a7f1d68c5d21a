"""Real services for the test suite: PostgreSQL, Redis, a Celery worker, an SMTP sink, Chromium."""
