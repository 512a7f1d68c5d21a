"""The worker's heartbeat, run by beat."""
import socket

from celery import shared_task

from . import services


@shared_task(name="health.heartbeat")
def heartbeat(name: str | None = None) -> None:
    """Record that a worker is alive (under `name`, default this host's name)."""
    services.record_heartbeat(name or socket.gethostname())
