"""Celery entry point: `celery -A celery_worker worker` and `celery -A celery_worker beat`.

The Flask app is built from EVENTSAPP_CONFIG and the environment; tasks run
in its application context (see eventsapp.extensions.celery_init_app).
"""
from eventsapp import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]

import eventsapp.tasks  # noqa: E402,F401  (registers every domain's tasks)
