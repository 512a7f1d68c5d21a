"""Configuration: production refuses to start without its required settings."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def start_production(**env_overrides):
    env = {k: v for k, v in os.environ.items()
           if k not in {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "MAIL_SERVER",
                        "EVENTSAPP_BASE_URL", "EVENTSAPP_PORT", "PORT"}}
    env.update(EVENTSAPP_CONFIG="production", **env_overrides)
    return subprocess.run([sys.executable, "-c", "from eventsapp import create_app; create_app()"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


FULL = {"SECRET_KEY": "s3cret", "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1/test",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0", "MAIL_SERVER": "127.0.0.1",
        "EVENTSAPP_BASE_URL": "https://events.example.vn"}


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "MAIL_SERVER", "EVENTSAPP_BASE_URL"])
def test_production_refuses_to_start_without_a_required_variable(missing):
    env = {k: v for k, v in FULL.items() if k != missing}
    result = start_production(**env)
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("base_url", ["events.example.vn", "ftp://events.example.vn", "https://"])
def test_production_refuses_a_base_url_that_is_no_web_address(base_url):
    """Every e-mail's and feed's links start with it: a typo would reach every invitee."""
    result = start_production(**{**FULL, "EVENTSAPP_BASE_URL": base_url})
    assert result.returncode != 0
    assert "EVENTSAPP_BASE_URL must be an http:// or https:// address" in result.stderr


@pytest.mark.slow
def test_production_refuses_to_start_without_a_broker():
    env = {k: v for k, v in FULL.items() if k != "CELERY_BROKER_URL"}
    result = start_production(**env)
    assert result.returncode != 0
    assert "CELERY_BROKER_URL (or REDIS_URL) is not set" in result.stderr


@pytest.mark.slow
def test_production_starts_when_everything_is_set():
    result = start_production(**FULL)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_unknown_config_name_is_refused():
    result = subprocess.run([sys.executable, "-c", "from eventsapp import create_app; create_app()"],
                            cwd=ROOT, env={**os.environ, "EVENTSAPP_CONFIG": "staging"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "is not one of development, testing, production" in result.stderr


def base_url(**env_overrides) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"EVENTSAPP_BASE_URL", "EVENTSAPP_PORT", "PORT"}}
    env.update(env_overrides)
    result = subprocess.run([sys.executable, "-c", "from config import Config; print(Config.BASE_URL)"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_links_point_at_the_port_the_app_serves_on_unless_a_base_url_is_set():
    assert base_url() == "http://127.0.0.1:5000"
    assert base_url(PORT="8000") == "http://127.0.0.1:8000"
    # honcho numbers each process's PORT (web 8000, worker 8100): `make run` exports the web port to all.
    assert base_url(PORT="8100", EVENTSAPP_PORT="8000") == "http://127.0.0.1:8000"
    assert base_url(PORT="8000", EVENTSAPP_BASE_URL="https://su-kien.example.vn") == "https://su-kien.example.vn"


def test_make_run_gives_every_process_the_port():
    env = {**os.environ, "EVENTSAPP_PORT": "", "PORT": ""}
    printed = subprocess.run(["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", "-", "show", "PORT=8000"],
                             input="show:\n\t@echo $$EVENTSAPP_PORT\n", cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
    assert printed.stdout.strip() == "8000"


@pytest.mark.slow
def test_the_seed_prints_links_at_the_port(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in {"EVENTSAPP_BASE_URL", "EVENTSAPP_PORT", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL",
                        "MAIL_SERVER"}}
    env.update(EVENTSAPP_CONFIG="development", EVENTSAPP_INSTANCE_DIR=str(tmp_path), PORT="8000",
               FLASK_APP="eventsapp")
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    seeded = subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    assert "http://127.0.0.1:8000/feeds/" in seeded.stdout and ":5000" not in seeded.stdout


HTTPS_PROBE = """
from eventsapp import create_app
app = create_app()
client = app.test_client()
plain = client.get("/login", base_url="http://events.example.vn")
print(plain.status_code, plain.headers.get("Location"))
secure = client.get("/login", base_url="https://events.example.vn")
print(secure.status_code, secure.headers.get("Strict-Transport-Security"), secure.headers.get("X-Frame-Options"))
"""


@pytest.mark.slow
def test_production_redirects_plain_http_and_sends_hsts_over_https():
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_HTTPS"}}
    env.update(EVENTSAPP_CONFIG="production", **FULL)
    env["DATABASE_URL"] = "postgresql+psycopg://postgres@127.0.0.1/eventsapp_no_such_database"  # never opened
    result = subprocess.run([sys.executable, "-c", HTTPS_PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    plain, secure = result.stdout.splitlines()[-2:]
    assert plain == "302 https://events.example.vn/login"
    assert secure == "200 max-age=31556926; includeSubDomains DENY"
