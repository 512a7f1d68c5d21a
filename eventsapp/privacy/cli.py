"""`flask privacy retention [--dry-run]`: what the retention purge removes (or would remove)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from . import retention

privacy_cli = AppGroup("privacy", help="People's data: retention.")


@privacy_cli.command("retention")
@click.option("--dry-run", is_flag=True, help="Report what would be purged; change nothing.")
def retention_command(dry_run: bool) -> None:
    """Purge answers, received messages and message bodies RETENTION_DAYS_AFTER_EVENT days after their event."""
    report = retention.purge(dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in report.lines():
        click.echo(line)


def register(app: Flask) -> None:
    app.cli.add_command(privacy_cli)
