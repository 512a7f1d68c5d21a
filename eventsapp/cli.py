"""Command-line interface: `flask --app eventsapp seed-demo | users create | users token | users grant | users revoke`.

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
        from .audit import record

        user = accounts.create_user(email, password, name=name, is_admin=admin)
        record("settings_changed", user, what="account", change="created", is_admin=user.is_admin)
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
    from .audit import record

    record("settings_changed", ("users", user.id), what="api_token", change="issued")
    click.echo(accounts.issue_api_token(user, name))  # commits the entry with the token


def _account_role_association(email: str, role: str, slug: str):
    """The account, role and association named on the command line, or a ClickException saying which is unknown."""
    # The CLI is built with every app: a command loads the domains it needs only when it runs.
    from .associations import services as associations
    from .associations.models import Role

    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No account with e-mail {email}. Create it with: flask users create {email}")
    if role not in Role._value2member_map_:
        raise click.ClickException(f"Unknown role {role!r}: use one of {', '.join(r.value for r in Role)}.")
    association = associations.get_by_slug(slug)
    if association is None:
        raise click.ClickException(f"No association with slug {slug!r}.")
    return user, Role(role), association


@users_cli.command("grant")
@click.argument("email")
@click.argument("role")
@click.argument("association")
def grant_role(email: str, role: str, association: str) -> None:
    """Give EMAIL the ROLE (organiser, checkin, viewer) in ASSOCIATION (a slug) and its branches;
    an earlier role there is replaced."""
    # The CLI is built with every app: a command loads the domains it needs only when it runs.
    from .associations import services as associations

    user, role_, association_ = _account_role_association(email, role, association)
    associations.grant(user, association_, role_)
    db.session.commit()
    click.echo(f"{user.email} is now {role_.value} in {association_.slug}.")


@users_cli.command("revoke")
@click.argument("email")
@click.argument("role")
@click.argument("association")
def revoke_role(email: str, role: str, association: str) -> None:
    """Take the ROLE in ASSOCIATION (a slug) away from EMAIL."""
    from sqlalchemy import select

    # The CLI is built with every app: a command loads the domains it needs only when it runs.
    from .associations import services as associations
    from .associations.models import Membership

    user, role_, association_ = _account_role_association(email, role, association)
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id,
                                                            Membership.association_id == association_.id))
    if membership is None or membership.role != role_:
        held = f" (they are {membership.role.value} there)" if membership is not None else ""
        raise click.ClickException(f"{user.email} is not {role_.value} in {association_.slug}{held}.")
    associations.revoke(membership)
    db.session.commit()
    click.echo(f"{user.email} is no longer {role_.value} in {association_.slug}.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Create (or bring up to date) the demo data; safe to run again."""
    # The CLI is built with every app: the demo data loads only when it is seeded.
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
