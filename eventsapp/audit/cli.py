"""`flask audit verify`: check the audit log's hash chain."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from . import services

audit_cli = AppGroup("audit", help="The audit log of what staff did.")


@audit_cli.command("verify")
def verify() -> None:
    """Recompute every entry's hash in order; exit 1 naming each entry changed, removed or added in the database."""
    checked, problems = services.verify()
    for problem in problems:
        click.echo(f"entry {problem.entry_id}: {problem.reason}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"{checked} entries, chain intact.")


def register(app: Flask) -> None:
    app.cli.add_command(audit_cli)
