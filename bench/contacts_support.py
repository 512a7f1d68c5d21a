"""A throw-away PostgreSQL database with the schema, for the contact benchmarks."""
from __future__ import annotations

import contextlib
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EVENTSAPP_CONFIG", "testing")

import psycopg  # noqa: E402

ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SLUGS = ("viet-nga", "viet-duc", "viet-trung", "viet-lao", "viet-campuchia", "viet-sec-slovakia", "viet-han",
         "viet-italia", "viet-nhat")


@contextlib.contextmanager
def fresh_app():
    """The app on a new PostgreSQL database (migrated, with the example associations); dropped after."""
    from config import TestingConfig
    from eventsapp import create_app
    from eventsapp.associations import services as associations
    from eventsapp.associations.models import AssociationKind
    from eventsapp.extensions import db

    name = f"eventsapp_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            for slug in SLUGS:
                associations.save_association(None, slug=slug, name_vi=slug, name_en=slug,
                                              kind=AssociationKind.ASSOCIATION, parent=None, founded_on=None,
                                              timezone="Asia/Ho_Chi_Minh")
            db.session.commit()
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
