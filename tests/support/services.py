"""Finding the real services, and what to do when one is missing.

When `CI` is set a missing service fails the run; elsewhere the tests that
need it are skipped with the reason.
"""
from __future__ import annotations

import os
import shutil
import socket

import pytest

ON_CI = bool(os.environ.get("CI"))

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# Each concurrent test run (developers share the machine) may take its own Redis database.
REDIS_DB = int(os.environ.get("EVENTSAPP_TEST_REDIS_DB", "15"))
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def missing(reason: str):
    """Fail on CI, skip elsewhere."""
    if ON_CI:
        pytest.fail(f"required service missing on CI: {reason}", pytrace=False)
    pytest.skip(reason)


def require_postgres() -> None:
    if not port_open("127.0.0.1", 5432):
        missing("PostgreSQL is not answering on 127.0.0.1:5432")


def require_redis() -> None:
    if not port_open(REDIS_HOST, REDIS_PORT):
        missing(f"Redis is not answering on {REDIS_HOST}:{REDIS_PORT}")


def require_chromium() -> None:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
