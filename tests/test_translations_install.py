"""Issue 15, item 4: the compiled catalogue (`messages.mo`) is not in git; an install that follows
the README must still serve Vietnamese. A production-config app compiles a missing catalogue when
it starts, and refuses to start when it cannot."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test starts the app in a new Python process

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {"EVENTSAPP_CONFIG": "production", "SECRET_KEY": "s3cret",
              "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1/unused",
              "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9", "MAIL_SERVER": "127.0.0.1",
              "EVENTSAPP_BASE_URL": "https://events.example.vn"}
SERVE_LOGIN = """
import sys
from eventsapp import create_app
app = create_app(BABEL_TRANSLATION_DIRECTORIES=sys.argv[1])
page = app.test_client().get("/login", base_url="https://events.example.vn")
print(page.status_code, page.text)
"""


def fresh_clone_catalogues(tmp_path) -> Path:
    """The translations folder as a clone has it: the .po files, no .mo."""
    target = tmp_path / "translations"
    shutil.copytree(ROOT / "eventsapp" / "translations", target,
                    ignore=shutil.ignore_patterns("*.mo", "*.pot"))
    assert not list(target.rglob("*.mo"))
    return target


def serve_login(directory: Path):
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "EVENTSAPP_CONFIG"}}
    return subprocess.run([sys.executable, "-c", SERVE_LOGIN, str(directory)], cwd=ROOT,
                          env={**env, **PRODUCTION}, capture_output=True, text=True, timeout=120)


def test_a_production_app_started_without_the_compiled_catalogue_serves_vietnamese(tmp_path):
    directory = fresh_clone_catalogues(tmp_path)
    result = serve_login(directory)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("200 ")
    assert "Đăng nhập" in result.stdout and "Mật khẩu" in result.stdout and "Password" not in result.stdout
    assert (directory / "vi" / "LC_MESSAGES" / "messages.mo").is_file()


def test_an_out_of_date_catalogue_is_recompiled(tmp_path):
    directory = fresh_clone_catalogues(tmp_path)
    assert serve_login(directory).returncode == 0
    po = directory / "vi" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Mật khẩu"', 'msgstr "Mật mã"'), encoding="utf-8")
    os.utime(po, (po.stat().st_atime, po.stat().st_mtime + 10))
    result = serve_login(directory)
    assert "Mật mã" in result.stdout


def test_production_refuses_to_start_when_the_catalogue_cannot_be_compiled(tmp_path):
    directory = fresh_clone_catalogues(tmp_path)
    (directory / "vi" / "LC_MESSAGES" / "messages.mo").mkdir()  # a path no file can be written to
    result = serve_login(directory)
    assert result.returncode != 0
    assert "is not compiled and cannot be written" in result.stderr
    assert "pybabel compile -d eventsapp/translations -f" in result.stderr
