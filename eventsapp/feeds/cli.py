"""`flask feeds build [--all]`, `flask feeds urls SLUG`, `flask feeds revoke SLUG`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from .. import links
from ..associations.models import Association
from ..extensions import db
from . import services
from .models import Feed

feeds_cli = AppGroup("feeds", help="iCal subscription feeds.")


@feeds_cli.command("build")
@click.option("--all", "everything", is_flag=True, help="Rebuild every stored feed, not only the dirty ones.")
def build(everything: bool) -> None:
    """Rebuild stored feeds now, in this process (dirty ones by default)."""
    query = select(Feed.id).order_by(Feed.id)
    if not everything:
        query = query.where(Feed.dirty.is_(True))
    ids = db.session.scalars(query).all()
    for feed_id in ids:
        feed = services.rebuild(feed_id)
        if feed is not None:
            click.echo(f"{feed.key}: {feed.event_count} events, {len(feed.body or b''):,} bytes, {feed.build_ms} ms")
    click.echo(f"Rebuilt {len(ids)} feed(s).")


def _association(slug: str) -> Association:
    association = db.session.scalar(select(Association).where(Association.slug == slug))
    if association is None:
        raise click.ClickException(f"No association with short name {slug}.")
    return association


@feeds_cli.command("urls")
@click.argument("slug")
def urls(slug: str) -> None:
    """Print the feed URLs of an association."""
    association = _association(slug)
    click.echo(f"public:  {links.association_feed_url(association)}")
    click.echo(f"private: {links.association_private_feed_url(association)}")
    click.echo("(add ?branches=1 to include the branches' events)")


@feeds_cli.command("revoke")
@click.argument("slug")
def revoke(slug: str) -> None:
    """Revoke an association's private feed URL and print the new one."""
    association = _association(slug)
    services.rotate_private_token(association)
    db.session.commit()
    click.echo(f"private: {links.association_private_feed_url(association)}")


def register(app: Flask) -> None:
    app.cli.add_command(feeds_cli)
