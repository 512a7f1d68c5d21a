"""Command-line interface: `flask --app eventsapp seed-demo | users create | users token`.

Domains add their own groups (e.g. `contacts import`) in a `cli.py` exposing `register(app)`.
"""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .auth import services as accounts
from .blueprints import DOMAINS, optional_module
from .extensions import db

users_cli = AppGroup("users", help="Staff accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Give the account every right.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="")
def create_user(email: str, admin: bool, password: str, name: str) -> None:
    """Create a staff account."""
    try:
        user = accounts.create_user(email, password, name=name, is_admin=admin)
        db.session.commit()
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.email}{' (admin)' if admin else ''}.")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="A label for the token.")
def create_token(email: str, name: str) -> None:
    """Print a new API token for EMAIL (shown once; only its hash is stored)."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No account with e-mail {email}.")
    click.echo(accounts.issue_api_token(user, name))


@click.command("seed-demo")
def seed_demo() -> None:
    """Create (or bring up to date) the demo data; safe to run again."""
    from .demo import seed_all

    for line in seed_all():
        click.echo(line)


def init_commands(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo)
    for domain in DOMAINS:
        module = optional_module(f"eventsapp.{domain}.cli")
        if module is not None:
            module.register(app)
