"""Fixtures: the app on a fresh PostgreSQL database, Redis, a real Celery worker,
an aiosmtpd SMTP sink and Chromium driven by Playwright.

Each test runs in its own application context; the tables are emptied after
every test (a real worker must see committed rows, so tests commit).
"""
from __future__ import annotations

import os
import re
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("EVENTSAPP_CONFIG", "testing")
# `make test` runs the suite in several processes (pytest-xdist: gw0, gw1, …). Each has its own PostgreSQL
# database (see database_url), its own Redis database (the broker, the rate windows, the wake-up flags) and
# so its own Celery worker, and its own clock: a test travelling in time moves no other process's clock.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER:
    os.environ["EVENTSAPP_TEST_REDIS_DB"] = str(15 - int(_XDIST_WORKER.removeprefix("gw")))
# Time travel (tests/support/clock.py): the test process and the worker processes it starts (which inherit
# the environment) read the clock's shift from this file.
if "EVENTSAPP_TEST_CLOCK_FILE" not in os.environ or _XDIST_WORKER:
    import tempfile

    os.environ["EVENTSAPP_TEST_CLOCK_FILE"] = os.path.join(tempfile.mkdtemp(prefix="eventsapp-clock-"), "shift")

import psycopg  # noqa: E402
import pytest  # noqa: E402
from flask import g  # noqa: E402
from sqlalchemy import text  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from config import TestingConfig  # noqa: E402
from eventsapp import create_app  # noqa: E402
from eventsapp.extensions import db as _db  # noqa: E402
from eventsapp.extensions import limiter  # noqa: E402
from tests.support import services  # noqa: E402
from tests.support.fake_providers import provider_config  # noqa: E402
from tests.support.smtp_sink import SmtpSink  # noqa: E402
from tests.support.worker import WorkerProcess  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parent / ".artifacts"


# ---------------------------------------------------------------- services

@pytest.fixture(scope="session")
def database_url():
    """A PostgreSQL database created for this test run and dropped after it.

    Its commits do not wait for the disk (synchronous_commit off, for every connection: the tests',
    the worker's, the live server's): a crash of the server could lose the last commits of a database
    thrown away anyway, never corrupt it, and the suite's thousands of small commits run several times faster."""
    services.require_postgres()
    name = f"eventsapp_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(services.POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(services.POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url():
    services.require_redis()
    import redis

    redis.Redis.from_url(services.REDIS_URL).flushdb()
    return services.REDIS_URL


@pytest.fixture(scope="session")
def smtp_sink():
    """A real SMTP server in the test process; it keeps every message it receives."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def travel():
    """`travel(moment)`: the app's clock shows `moment` from now on, here and in the worker; back after the test."""
    from tests.support import clock

    yield clock.travel_to
    clock.back_to_now()


# ---------------------------------------------------------------- the app

@pytest.fixture(scope="session")
def app(database_url, smtp_sink, tmp_path_factory):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        CELERY_BROKER_URL=services.REDIS_URL,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_sink.port,
        MAIL_OUTBOX_DIR=str(tmp_path_factory.mktemp("outbox")),
        BASE_URL="http://eventsapp.test",
        LOGIN_RATE_LIMIT_PER_ADDRESS="10000 per minute",
        REGISTRATION_RATE_LIMIT_PER_CLIENT="10000 per minute", REGISTRATION_RATE_LIMIT_PER_ADDRESS="10000 per minute",
        LOGIN_RATE_LIMIT_PER_ACCOUNT="10000 per minute",
        LOGIN_RATE_LIMIT_PER_ACCOUNT_AND_ADDRESS="10000 per minute",
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


@pytest.fixture(autouse=True)
def _app_context(request):
    """Each test that uses the app gets an app context and empty tables afterwards."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        yield
        _db.session.remove()
        if "celery_worker" in request.fixturenames:
            _let_the_worker_finish()
        _empty_tables()
        limiter.reset()


def _let_the_worker_finish(timeout: float = 5.0) -> None:
    """Wait (a few seconds at most) until the worker has sent what the test left due or being sent: a message
    of this test that went out during the next one would land in the next test's SMTP sink."""
    from sqlalchemy import and_, func, or_, select

    from eventsapp.mail.models import MessageState, OutboxMessage
    from eventsapp.timeutils import utcnow

    busy = select(func.count()).select_from(OutboxMessage).where(or_(
        OutboxMessage.state == MessageState.SENDING,
        and_(OutboxMessage.state == MessageState.QUEUED, OutboxMessage.next_attempt_at <= utcnow())))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = _db.session.scalar(busy)
        _db.session.remove()
        if not left:
            return
        time.sleep(0.1)


# The tables holding a row, or whose id sequence has moved since it was last reset.
_USED_TABLES = """
SELECT DISTINCT t.relname FROM pg_sequences used
JOIN pg_namespace n ON n.nspname = used.schemaname
JOIN pg_class s ON s.relnamespace = n.oid AND s.relname = used.sequencename
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
WHERE used.last_value IS NOT NULL
"""


def _used_tables(connection) -> list[str]:
    names = [t.name for t in _db.metadata.sorted_tables]
    filled = " UNION ALL ".join(f"(SELECT '{name}' FROM \"{name}\" LIMIT 1)" for name in names)
    used = set(connection.execute(text(filled)).scalars()) | set(connection.execute(text(_USED_TABLES)).scalars())
    return [name for name in names if name in used]


_RESTART_SEQUENCES = """
SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)
FROM pg_sequences WHERE last_value IS NOT NULL
"""


def _empty_tables(attempts: int = 10) -> None:
    """Empty the tables the test used, children first, and start every used id sequence again
    (as TRUNCATE … RESTART IDENTITY of every table did, at a fraction of its cost: a TRUNCATE of every
    table took longer than most tests, and a DELETE of a test's few rows is quicker than a TRUNCATE).
    A worker still busy with the last test's tasks may deadlock with it, so try again (the worker's
    transaction is the one rolled back or finished)."""
    from sqlalchemy.exc import OperationalError

    for attempt in range(attempts):
        try:
            with _db.engine.begin() as connection:
                connection.execute(text("SET LOCAL lock_timeout = '10s'"))
                used = set(_used_tables(connection))
                for table in reversed(_db.metadata.sorted_tables):
                    if table.name in used:
                        connection.execute(table.delete())
                if "outbox_messages" in used:  # its triggers wrote the deletion into the tallies (mail.models)
                    connection.execute(text("DELETE FROM outbox_tallies"))
                if used:
                    connection.execute(text(_RESTART_SEQUENCES))
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


# A test's tier follows from the fixtures it uses, so a new test is marked without anyone remembering.
TIER_FIXTURES = {"browser": "browser", "celery_worker": "worker"}


def pytest_collection_modifyitems(items):
    """Mark each test's tier (`browser`, `worker`) from its fixtures; then run the tests that
    need the real worker last: until then no worker consumes the tasks other tests enqueue
    (feed builds, mail dispatches) behind their backs."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        for fixture, marker in TIER_FIXTURES.items():
            if fixture in fixtures:
                item.add_marker(marker)
    items.sort(key=lambda item: "celery_worker" in getattr(item, "fixturenames", ()))


@pytest.fixture(autouse=True)
def _empty_smtp_sink(request):
    if "smtp_sink" in request.fixturenames:
        request.getfixturevalue("smtp_sink").clear()
    yield


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---------------------------------------------------------------- helpers

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class Auth:
    """Sign a test client in and out as a given user."""

    def __init__(self, client):
        self.client = client

    def login(self, user, password: str | None = None):
        # The test's app context outlives its requests, and Flask-Login caches the
        # request's user in g: forget it so the next request loads the new user.
        g.pop("_login_user", None)
        if password is None:
            with self.client.session_transaction() as session:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
            return None
        page = self.client.get("/login")
        return self.client.post("/login", data={
            "email": user.email, "password": password, "csrf_token": csrf_token_from(page.text)})

    def post(self, url: str, data: dict | None = None, *, form_url: str | None = None, **kwargs):
        """POST `data` to `url` with the CSRF token of the form page (default: `url`)."""
        page = self.client.get(form_url or url)
        payload = dict(data or {})
        payload["csrf_token"] = csrf_token_from(page.text)
        return self.client.post(url, data=payload, **kwargs)


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def api(client):
    """Calls to the JSON API with a bearer token: api(user).get('/api/v1/...')."""
    from eventsapp.auth.services import issue_api_token

    class Api:
        def __init__(self, user):
            self.headers = {"Authorization": f"Bearer {issue_api_token(user)}"}

        def __getattr__(self, method):
            def call(url, **kwargs):
                headers = {**self.headers, **kwargs.pop("headers", {})}
                g.pop("_login_user", None)  # as in Auth.login: the app context outlives the request
                return getattr(client, method)(url, headers=headers, **kwargs)
            return call

    return Api


# ---------------------------------------------------------------- worker

# The worker signs with DKIM and sends replies and bounces back to this address (eventsapp.inbound).
TRUSTED_AUTHSERV_ID = "mx.eventsapp.test"  # the worker trusts this receiving server's Authentication-Results
REPLY_ADDRESS = "rsvp@eventsapp.test"


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory):
    """A DKIM key for the worker and the TXT record a test's DNS answers with."""
    from eventsapp.mail.signing import generate_key

    path = tmp_path_factory.mktemp("dkim") / "dkim.pem"
    record = generate_key(str(path), 1024)
    return {"path": str(path), "record": record, "domain": "eventsapp.test", "selector": "test"}


@pytest.fixture(scope="session")
def inbox_dir(tmp_path_factory):
    """The worker's MAIL_INBOX_DIR: .eml files dropped here are taken in by `inbound.poll`."""
    return tmp_path_factory.mktemp("inbox")


@pytest.fixture(scope="session")
def fake_gateways():
    """Fake eSMS, Twilio and Zalo gateways (tests/support/fake_providers.py): real HTTP servers for the run."""
    from tests.support.fake_providers import FakeEsms, FakeTwilio, FakeZalo  # only runs that need them

    gateways = SimpleNamespace(esms=FakeEsms(), twilio=FakeTwilio(), zalo=FakeZalo())
    yield gateways
    for gateway in (gateways.esms, gateways.twilio, gateways.zalo):
        gateway.stop()


@pytest.fixture
def gateways(app, fake_gateways, redis_url):
    """The app's settings pointing at the fake gateways (reset), restored afterwards."""
    saved = dict(app.config)
    zalo = fake_gateways.zalo
    zalo.refresh_token, zalo.access_token, zalo.refreshes = zalo.initial_refresh_token, "", 0
    app.config.update(provider_config(fake_gateways.esms, fake_gateways.twilio, fake_gateways.zalo))
    app.config.update(ESMS_RATE_PER_SECOND=0, TWILIO_RATE_PER_SECOND=0, ZALO_RATE_PER_SECOND=0,
                      CHANNEL_HTTP_TIMEOUT_SECONDS=5)
    for gateway in (fake_gateways.esms, fake_gateways.twilio, fake_gateways.zalo):
        gateway.reset()
    # The tokens' table has no id sequence, so the suite's cleaning (tables whose sequence moved) skips it.
    from eventsapp.channels.models import ProviderToken

    _db.session.execute(ProviderToken.__table__.delete())
    _db.session.commit()
    yield fake_gateways
    app.config.clear()
    app.config.update(saved)


@pytest.fixture(scope="session")
def celery_worker(app, database_url, redis_url, smtp_sink, dkim_key, inbox_dir, fake_gateways):
    """A real `celery -A celery_worker worker` process on Redis, for the whole run."""
    from eventsapp.extensions import db as database
    from eventsapp.health.models import WorkerHeartbeat

    ARTIFACTS.mkdir(exist_ok=True)
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # tasks queued by earlier tests are not this worker's business
    env = {
        **os.environ,
        "EVENTSAPP_CONFIG": "testing",
        "TEST_DATABASE_URL": database_url,
        "TEST_BROKER_URL": redis_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_sink.port),
        "EVENTSAPP_BASE_URL": "http://eventsapp.test",
        "MAIL_REPLY_ADDRESS": REPLY_ADDRESS,
        "DKIM_DOMAIN": dkim_key["domain"],
        "DKIM_SELECTOR": dkim_key["selector"],
        "DKIM_PRIVATE_KEY": dkim_key["path"],
        "MAIL_INBOX_DIR": str(inbox_dir),
        "MAIL_TRUSTED_AUTHSERV_IDS": TRUSTED_AUTHSERV_ID,
        **{name: str(value) for name, value in provider_config(
            fake_gateways.esms, fake_gateways.twilio, fake_gateways.zalo).items()},
    }
    worker = WorkerProcess(env, ARTIFACTS / f"celery-worker{_XDIST_WORKER and '-' + _XDIST_WORKER}.log")
    worker.start()
    celery = app.extensions["celery"]
    marker = f"ready-{uuid.uuid4().hex[:8]}"

    def ready():
        with app.app_context():
            celery.send_task("health.heartbeat", args=[marker])
            found = database.session.get(WorkerHeartbeat, marker) is not None
            database.session.remove()
            return found

    try:
        worker.wait_until(ready, timeout=90, interval=1.0)
    except Exception:
        worker.stop()
        raise
    yield worker
    worker.stop()


# ---------------------------------------------------------------- browser

@pytest.fixture(scope="session")
def live_server(app):
    """The app served over HTTP in a thread, for the browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    services.require_chromium()
    from playwright.sync_api import sync_playwright

    # A context's routes also see its service workers' requests (Chromium), so that a test holding a phone
    # offline can hold its service worker offline too: `set_offline` alone lets a worker's fetch through.
    os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=services.CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    """A page at phone size with touch, as at the door."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    yield page
    context.close()
