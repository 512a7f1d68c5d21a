"""Every periodic job and every queue route, in one place.

Mail runs on its own queue so a send of thousands never delays feed builds
or reminders; feeds have theirs for the same reason.
"""
from __future__ import annotations

from datetime import timedelta

from kombu import Exchange, Queue

# Each queue has its own exchange and routing key, so a task lands in one queue only.
QUEUES = tuple(Queue(name, Exchange(name, type="direct"), routing_key=name) for name in ("default", "mail", "feeds"))

TASK_ROUTES = {
    "mail.*": {"queue": "mail", "routing_key": "mail"},
    "channels.*": {"queue": "mail", "routing_key": "mail"},  # SMS and Zalo are messages like e-mail
    "feeds.*": {"queue": "feeds", "routing_key": "feeds"},
}


def beat_schedule(config) -> dict:
    """The beat schedule; domains add their periodic tasks here."""
    return {
        "health.heartbeat": {
            "task": "health.heartbeat",
            "schedule": timedelta(seconds=config["HEARTBEAT_INTERVAL_SECONDS"]),
        },
        "mail.sweep": {
            "task": "mail.sweep",
            "schedule": timedelta(seconds=config["MAIL_SWEEP_INTERVAL_SECONDS"]),
        },
        "channels.sweep": {
            "task": "channels.sweep",
            "schedule": timedelta(seconds=config["MAIL_SWEEP_INTERVAL_SECONDS"]),
            "options": {"expires": 55},
        },
        "reminders.fire_due": {
            "task": "reminders.fire_due",
            "schedule": timedelta(minutes=1),
            "options": {"expires": 55},  # a beat nobody ran in time is replaced by the next one
        },
        "feeds.sweep": {"task": "feeds.sweep", "schedule": timedelta(minutes=10)},
        # Answers, received messages and message bodies past RETENTION_DAYS_AFTER_EVENT (privacy.retention).
        "privacy.purge_expired": {"task": "privacy.purge_expired", "schedule": timedelta(hours=24),
                                  "options": {"expires": 3600}},
        "inbound.poll": {
            "task": "inbound.poll",
            "schedule": timedelta(seconds=config.get("MAIL_INBOX_POLL_SECONDS", 30)),
            "options": {"expires": max(5, config.get("MAIL_INBOX_POLL_SECONDS", 30) - 2)},
        },
    }
