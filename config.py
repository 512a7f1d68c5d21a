"""Configuration classes, read from the environment.

`EVENTSAPP_CONFIG` picks one of `development`, `testing` or `production`.
Development and testing fall back to embedded defaults (SQLite database and
SQLite-backed Celery broker under `instance/`, mail written to an outbox
folder); production refuses to start when a required variable is missing.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("EVENTSAPP_INSTANCE_DIR", BASE_DIR / "instance"))


class ConfigError(RuntimeError):
    """A required setting is missing or wrong; the message names it."""


def env(name: str, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value is None else int(value)


class Config:
    """Settings shared by every environment, with the embedded defaults."""

    ENV_NAME = "base"
    SECRET_KEY = env("SECRET_KEY", "dev-only-not-secret")
    # The key of the audit log's hash chain (eventsapp.audit); unset: SECRET_KEY. Changing it makes
    # `flask audit verify` report every earlier entry, so set it once and keep it.
    AUDIT_KEY = env("AUDIT_KEY")
    # Consent (eventsapp.privacy.consent): when true, contacts with no recorded consent are not sent
    # invitations or reminders either (not only those who withdrew it or were imported without a basis).
    CONSENT_REQUIRED = env_bool("CONSENT_REQUIRED")
    # Retention (eventsapp.privacy.retention): answers' comments, received messages and sent messages' bodies
    # are purged this many days after their event ended (daily, by beat; `flask privacy retention --dry-run`).
    RETENTION_DAYS_AFTER_EVENT = env_int("RETENTION_DAYS_AFTER_EVENT", 365)
    SQLALCHEMY_DATABASE_URI = env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'eventsapp.sqlite3'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = env("REDIS_URL")
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or f"sqla+sqlite:///{INSTANCE_DIR / 'broker.sqlite3'}")

    # Mail: an SMTP server when MAIL_SERVER is set, otherwise .eml files in MAIL_OUTBOX_DIR.
    MAIL_SERVER = env("MAIL_SERVER")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS")
    MAIL_USERNAME = env("MAIL_USERNAME")
    MAIL_PASSWORD = env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "Eventsapp <no-reply@eventsapp.example.vn>")
    MAIL_OUTBOX_DIR = env("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    MAIL_BATCH_SIZE = env_int("MAIL_BATCH_SIZE", 200)
    MAIL_RATE_LIMIT_PER_SECOND = float(env("MAIL_RATE_LIMIT_PER_SECOND", "0"))  # 0 = unlimited
    # The provider's other caps (mail.ratelimit), counted over rolling windows in Redis by every worker;
    # 0 = none. A message that would exceed one waits in the outbox until the window has room.
    MAIL_LIMIT_PER_HOUR = env_int("MAIL_LIMIT_PER_HOUR", 0)
    MAIL_LIMIT_PER_DAY = env_int("MAIL_LIMIT_PER_DAY", 0)  # per rolling 24 hours
    MAIL_LIMIT_PER_DOMAIN_PER_MINUTE = env_int("MAIL_LIMIT_PER_DOMAIN_PER_MINUTE", 0)  # to one recipient domain
    MAIL_LIMIT_KEY = env("MAIL_LIMIT_KEY", "eventsapp:mail:sent")  # the Redis keys' prefix
    MAIL_LEASE_SECONDS = env_int("MAIL_LEASE_SECONDS", 300)
    MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 8)  # temporary failures before a message is failed
    MAIL_RETRY_BASE_SECONDS = env_int("MAIL_RETRY_BASE_SECONDS", 60)  # backoff: base * 2^(attempt-1) ...
    MAIL_RETRY_MAX_SECONDS = env_int("MAIL_RETRY_MAX_SECONDS", 3600)  # ... capped at this
    MAIL_CONNECT_RETRY_SECONDS = env_int("MAIL_CONNECT_RETRY_SECONDS", 30)  # server unreachable: wait, retry
    MAIL_RECORD_EVERY = env_int("MAIL_RECORD_EVERY", 20)  # results written every N messages (crash window)
    MAIL_SWEEP_INTERVAL_SECONDS = env_int("MAIL_SWEEP_INTERVAL_SECONDS", 60)
    MAIL_DISPATCH_MAX_SECONDS = env_int("MAIL_DISPATCH_MAX_SECONDS", 60)  # then a fresh task carries on

    # Inbound mail (eventsapp.inbound): the address calendar answers, replies and bounces come back to
    # (ORGANIZER, Reply-To, the VERP envelope sender), where they come from, and limits.
    MAIL_REPLY_ADDRESS = env("MAIL_REPLY_ADDRESS")
    MAIL_INBOX_URL = env("MAIL_INBOX_URL")  # imaps://user:pass@host/INBOX, polled by beat
    MAIL_INBOX_PROCESSED_FOLDER = env("MAIL_INBOX_PROCESSED_FOLDER", "eventsapp-processed")
    MAIL_INBOX_DIR = env("MAIL_INBOX_DIR", str(INSTANCE_DIR / "inbox"))  # embedded default: .eml files dropped here
    MAIL_INBOX_POLL_SECONDS = env_int("MAIL_INBOX_POLL_SECONDS", 30)
    MAIL_INBOUND_MAX_BYTES = env_int("MAIL_INBOUND_MAX_BYTES", 10 * 1024 * 1024)
    MAIL_INBOUND_MAX_PARTS = env_int("MAIL_INBOUND_MAX_PARTS", 100)
    MAIL_SOFT_BOUNCE_LIMIT = env_int("MAIL_SOFT_BOUNCE_LIMIT", 3)  # temporary failures in a row → undeliverable
    # The authserv-ids (comma-separated) of our own receiving servers, whose Authentication-Results
    # `dmarc=pass` authenticates an answer by mail (eventsapp.inbound.authentication); unset: none trusted.
    MAIL_TRUSTED_AUTHSERV_IDS = env("MAIL_TRUSTED_AUTHSERV_IDS", "")
    MAIL_DKIM_DNSFUNC = None  # a resolver for checking DKIM keys (dkimpy's dnsfunc); None: DNS itself
    # DKIM signing of every outgoing message when all three are set (`flask mail dkim-keygen`).
    DKIM_DOMAIN = env("DKIM_DOMAIN")
    DKIM_SELECTOR = env("DKIM_SELECTOR")
    DKIM_PRIVATE_KEY = env("DKIM_PRIVATE_KEY")  # a PEM, or the path of a PEM file

    # SMS and Zalo (eventsapp.channels; docs/operator-guide.md, "SMS and Zalo"). A provider is used once its
    # credentials are set. Each has its own rate (messages per second, shared by every worker through Redis;
    # 0 = unlimited) and its price (VND per SMS segment or Zalo message) for the cost shown before and after a send.
    CHANNEL_HTTP_TIMEOUT_SECONDS = float(env("CHANNEL_HTTP_TIMEOUT_SECONDS", "10"))
    CHANNEL_BATCH_SIZE = env_int("CHANNEL_BATCH_SIZE", 50)
    # eSMS.vn: brand-name SMS to Vietnamese numbers (+84), and its ZNS resale is not used (Zalo goes direct).
    ESMS_API_URL = env("ESMS_API_URL", "https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/")
    ESMS_API_KEY = env("ESMS_API_KEY", "")
    ESMS_SECRET_KEY = env("ESMS_SECRET_KEY", "")
    ESMS_BRANDNAME = env("ESMS_BRANDNAME", "")
    ESMS_UNICODE = env_bool("ESMS_UNICODE")  # off: Vietnamese sent without accents (1 segment = 160, cheaper)
    ESMS_CALLBACK_SECRET = env("ESMS_CALLBACK_SECRET", "")  # signs the callback link given with each message
    ESMS_RATE_PER_SECOND = float(env("ESMS_RATE_PER_SECOND", "20"))
    ESMS_PRICE_PER_SEGMENT = env_int("ESMS_PRICE_PER_SEGMENT", 800)
    # Twilio: SMS to every other country (and to +84 when eSMS is not configured).
    TWILIO_API_URL = env("TWILIO_API_URL", "https://api.twilio.com")
    TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", "")
    TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", "")
    TWILIO_FROM = env("TWILIO_FROM", "")  # a number in E.164, or a Messaging Service SID (MG…)
    TWILIO_RATE_PER_SECOND = float(env("TWILIO_RATE_PER_SECOND", "10"))
    TWILIO_PRICE_PER_SEGMENT = env_int("TWILIO_PRICE_PER_SEGMENT", 2000)
    # Zalo Notification Service, through the association's Official Account (templates: per association, on
    # its "Zalo templates" page). The refresh token is read once; Zalo rotates it and the database keeps it.
    ZALO_API_URL = env("ZALO_API_URL", "https://business.openapi.zalo.me")
    ZALO_OAUTH_URL = env("ZALO_OAUTH_URL", "https://oauth.zaloapp.com")
    ZALO_APP_ID = env("ZALO_APP_ID", "")
    ZALO_APP_SECRET = env("ZALO_APP_SECRET", "")
    ZALO_REFRESH_TOKEN = env("ZALO_REFRESH_TOKEN", "")
    ZALO_OA_SECRET_KEY = env("ZALO_OA_SECRET_KEY", "")  # checks the webhook's X-ZEvent-Signature
    ZALO_RATE_PER_SECOND = float(env("ZALO_RATE_PER_SECOND", "10"))
    ZALO_PRICE_PER_MESSAGE = env_int("ZALO_PRICE_PER_MESSAGE", 300)

    # Unset: the address this app serves on. `make run` exports EVENTSAPP_PORT to the web process, the
    # workers and the seed alike (honcho gives each process its own PORT: 8000, 8100, 8200…); gunicorn or
    # `flask run` started by hand read PORT.
    BASE_URL = env("EVENTSAPP_BASE_URL", f"http://127.0.0.1:{env('EVENTSAPP_PORT', env('PORT', '5000'))}")
    DEFAULT_TIMEZONE = env("EVENTSAPP_TIMEZONE", "Asia/Ho_Chi_Minh")

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("vi", "en")

    WTF_CSRF_TIME_LIMIT = None  # a form left open over Tết still submits
    PDF_FONT_DIR = env("PDF_FONT_DIR", "")  # DejaVu fonts for PDFs; empty: the usual Debian/Fedora folders
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    FORCE_HTTPS = False
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024  # uploads (spreadsheets) larger than this are refused

    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Failed sign-ins only. One address guessing one account is stopped after 5; the account's own
    # limit (every address together) is higher and slower, so a guesser from one address cannot
    # lock the owner out, and many addresses together still meet a ceiling.
    LOGIN_RATE_LIMIT_PER_ADDRESS = env("LOGIN_RATE_LIMIT_PER_ADDRESS", "20 per 10 minutes")
    LOGIN_RATE_LIMIT_PER_ACCOUNT_AND_ADDRESS = env("LOGIN_RATE_LIMIT_PER_ACCOUNT_AND_ADDRESS", "5 per 10 minutes")
    LOGIN_RATE_LIMIT_PER_ACCOUNT = env("LOGIN_RATE_LIMIT_PER_ACCOUNT", "30 per hour")
    # A browser that signed in to the account before (its device cookie, auth/devices.py) is not held
    # by the account's limit above, so guessers elsewhere cannot lock the owner out; its own failures
    # are limited on its cookie instead.
    LOGIN_RATE_LIMIT_PER_DEVICE = env("LOGIN_RATE_LIMIT_PER_DEVICE", "5 per 10 minutes")
    LOGIN_DEVICE_COOKIE_DAYS = env_int("LOGIN_DEVICE_COOKIE_DAYS", 365)
    # Registrations on public pages (every form sent, valid or not): per client address, and per e-mail address
    # registered, so that nobody floods an inbox with confirmation links.
    REGISTRATION_RATE_LIMIT_PER_CLIENT = env("REGISTRATION_RATE_LIMIT_PER_CLIENT", "20 per hour")
    REGISTRATION_RATE_LIMIT_PER_ADDRESS = env("REGISTRATION_RATE_LIMIT_PER_ADDRESS", "3 per hour")
    # Codes sent by SMS to confirm a registration by phone (registration/codes.py): tries per client address, on
    # top of the few wrong tries each code allows.
    REGISTRATION_CODE_RATE_LIMIT_PER_CLIENT = env("REGISTRATION_CODE_RATE_LIMIT_PER_CLIENT", "30 per hour")
    # Reverse proxies (load balancers) in front of the app whose X-Forwarded-For/-Proto are trusted.
    TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

    # Contact imports: data rows in one file (a larger roll is split); columns; what an XLSX may unpack to.
    CONTACTS_IMPORT_MAX_ROWS = env_int("CONTACTS_IMPORT_MAX_ROWS", 50_000)
    CONTACTS_IMPORT_MAX_COLUMNS = env_int("CONTACTS_IMPORT_MAX_COLUMNS", 100)
    CONTACTS_IMPORT_MAX_UNPACKED_BYTES = env_int("CONTACTS_IMPORT_MAX_UNPACKED_BYTES", 64 * 1024 * 1024)

    # No invitee gets two reminders of one event within this long; the latest due rule wins.
    REMINDER_WINDOW_MINUTES = env_int("REMINDER_WINDOW_MINUTES", 360)

    HEARTBEAT_INTERVAL_SECONDS = env_int("HEARTBEAT_INTERVAL_SECONDS", 30)
    HEARTBEAT_MAX_AGE_SECONDS = env_int("HEARTBEAT_MAX_AGE_SECONDS", 120)
    # /healthz answers "starting" (not "down") while a part is not up yet this long after the web process began.
    HEALTH_STARTING_SECONDS = env_int("HEALTH_STARTING_SECONDS", 60)
    SHOW_OUTBOX = False  # the in-app browser of the outbox folder (development only)

    @classmethod
    def celery_settings(cls) -> dict:
        """Celery's settings, kept under app.config["CELERY"] as Flask's docs do."""
        return {
            "broker_url": cls.CELERY_BROKER_URL,
            "task_ignore_result": True,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "task_default_queue": "default",
            "task_default_exchange": "default",
            "task_default_routing_key": "default",
            "timezone": "UTC",
            "enable_utc": True,
        }

    @classmethod
    def validate(cls) -> None:
        """Raise ConfigError naming the first missing required setting."""


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False
    SHOW_OUTBOX = True


class TestingConfig(Config):
    """The test suite: PostgreSQL and Redis, URLs given by tests/conftest.py."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = env("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    CELERY_BROKER_URL = env("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_OUTBOX_DIR = env("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "test-outbox"))


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    FORCE_HTTPS = env_bool("FORCE_HTTPS", True)
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", env("REDIS_URL", "memory://"))

    # EVENTSAPP_BASE_URL: unset, every e-mail and feed would link to the development address.
    REQUIRED = ("SECRET_KEY", "DATABASE_URL", "EVENTSAPP_BASE_URL")

    @classmethod
    def validate(cls) -> None:
        for name in cls.REQUIRED:
            if env(name) is None:
                raise ConfigError(f"{name} is not set: production needs it (see README, Configuration).")
        base_url = urlsplit(env("EVENTSAPP_BASE_URL"))
        if base_url.scheme not in ("http", "https") or not base_url.hostname:
            raise ConfigError("EVENTSAPP_BASE_URL must be an http:// or https:// address with a host name, "
                              "e.g. https://events.example.vn: every e-mail and feed links to it.")
        if env("CELERY_BROKER_URL") is None and env("REDIS_URL") is None:
            raise ConfigError("CELERY_BROKER_URL (or REDIS_URL) is not set: production needs a broker.")
        if env("MAIL_SERVER") is None:
            raise ConfigError("MAIL_SERVER is not set: production sends mail over SMTP.")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env(name: str | None = None) -> type[Config]:
    """Return the config class named by `name` or by EVENTSAPP_CONFIG."""
    name = name or env("EVENTSAPP_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"EVENTSAPP_CONFIG={name!r} is not one of {', '.join(CONFIGS)}.") from None
