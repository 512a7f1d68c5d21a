"""eventsapp: invitations, reminders, calendars and check-in for friendship associations.

`create_app` reads as the table of contents of the application.
"""
from __future__ import annotations

import logging
import os

from flask import Flask

from config import INSTANCE_DIR, Config, config_from_env

from . import schedule
from .extensions import babel, celery_init_app, csrf, db, limiter, login_manager, migrate

logger = logging.getLogger(__name__)

ROOT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: type[Config] | str | None = None, **overrides) -> Flask:
    """Build the Flask application from a config class (or its name)."""
    config_class = config if isinstance(config, type) else config_from_env(config)
    config_class.validate()

    app = Flask(
        __name__,
        template_folder=os.path.join(ROOT_DIR, "templates"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_object(config_class)
    app.config["CELERY"] = config_class.celery_settings()
    app.config.update(overrides)
    _finish_celery_settings(app)
    os.makedirs(app.instance_path, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_errorhandlers(app)
    register_commands(app)
    register_middleware(app)
    return app


def _finish_celery_settings(app: Flask) -> None:
    celery = app.config["CELERY"]
    celery["broker_url"] = app.config["CELERY_BROKER_URL"]
    celery.setdefault("task_queues", schedule.QUEUES)
    celery.setdefault("task_routes", schedule.TASK_ROUTES)
    celery.setdefault("beat_schedule", schedule.beat_schedule(app.config))


# Each register_* imports what it sets up only when an app is built: any `import eventsapp.…` runs this
# file first, and a worker or a migration must not load every domain for it.
def register_extensions(app: Flask) -> None:
    from . import after_commit, models  # noqa: F401  (every model known to Alembic; commit hooks)
    from .auth.security import init_security
    from .i18n import init_i18n
    from .validation import init_app as init_validation

    init_validation(app)  # before the blueprints: their `<int:…>` ids use its bounded converter
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT_DIR, "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    init_i18n(app, babel)
    limiter.init_app(app)
    init_security(app)
    celery_init_app(app)


def register_blueprints(app: Flask) -> None:
    from .blueprints import BLUEPRINTS

    for blueprint in BLUEPRINTS():
        app.register_blueprint(blueprint)


def register_template_helpers(app: Flask) -> None:
    from .web import init_template_helpers

    init_template_helpers(app)


def register_errorhandlers(app: Flask) -> None:
    from .errors import init_error_handlers

    init_error_handlers(app)


def register_middleware(app: Flask) -> None:
    """WSGI layers in front of Flask: stored calendar feeds are answered before Flask's request cycle."""
    from .auth.security import init_proxies
    from .feeds import serving

    serving.init_app(app)
    init_proxies(app)  # outermost


def register_commands(app: Flask) -> None:
    from .cli import init_commands

    init_commands(app)
