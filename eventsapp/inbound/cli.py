"""`flask mail receive [FILE|-]`, `flask mail poll`, `flask mail dkim-keygen` (added to the `mail` group)."""
from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..mail import signing
from .receiving import poll_all
from .receiving import receive as store

EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the message and tries again later


def _mail_group(app: Flask) -> AppGroup:
    group = app.cli.commands.get("mail")
    if group is None:
        group = AppGroup("mail", help="E-mail: receiving, signing.")
        app.cli.add_command(group)
    return group


@click.command("receive")
@click.argument("source", default="-", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--recipient", default=lambda: os.environ.get("ORIGINAL_RECIPIENT") or os.environ.get("RECIPIENT", ""),
              help="The envelope recipient (Postfix pipe: ${original_recipient}); default $ORIGINAL_RECIPIENT.")
def receive(source: str, recipient: str) -> None:
    """Take in one raw message (a file, or standard input as an MTA's pipe delivers it).

    Exit 0 when stored (or already stored), 75 when it could not be stored now (the MTA retries).
    """
    limit = int(current_app.config.get("MAIL_INBOUND_MAX_BYTES", 10 * 1024 * 1024))
    try:
        stream = sys.stdin.buffer if source == "-" else open(source, "rb")
        with stream:
            raw = stream.read(limit + 1)  # one byte more than kept: store() marks it truncated
            while stream.read(1 << 20):  # drain the rest, so the MTA's write does not fail
                pass
    except OSError as error:
        click.echo(f"cannot read {source}: {error}", err=True)
        sys.exit(EX_TEMPFAIL if source == "-" else 1)
    if not raw.strip():
        click.echo("empty message: nothing stored", err=True)
        sys.exit(65)  # EX_DATAERR: the MTA bounces it rather than retrying
    try:
        row_id, new = store(raw, "pipe", recipient)
    except Exception as error:  # database or broker down: the MTA keeps the message
        click.echo(f"temporary failure, try again later: {type(error).__name__}: {error}", err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(f"{'stored' if new else 'already stored'} as inbound message {row_id}")


@click.command("poll")
def poll() -> None:
    """Take in the IMAP mailbox (MAIL_INBOX_URL) and the inbox folder now, in this process."""

    click.echo(poll_all())


@click.command("dkim-keygen")
@click.option("--out", "path", default=None, help="Where to write the private key (PEM); default instance/dkim.pem.")
@click.option("--selector", default=None, help="DKIM selector (default DKIM_SELECTOR, else 'eventsapp').")
@click.option("--domain", default=None, help="Signing domain (default DKIM_DOMAIN).")
@click.option("--bits", default=2048, show_default=True, type=click.IntRange(1024, 4096))
def dkim_keygen(path: str | None, selector: str | None, domain: str | None, bits: int) -> None:
    """Write a new RSA key and print the DNS TXT record to publish."""

    config = current_app.config
    selector = selector or config.get("DKIM_SELECTOR") or "eventsapp"
    domain = domain or config.get("DKIM_DOMAIN") or "example.vn"
    path = path or os.path.join(current_app.instance_path, "dkim.pem")
    if os.path.exists(path):
        raise click.ClickException(f"{path} exists; remove it first or choose another --out.")
    record = signing.generate_key(path, bits)
    click.echo(f"Private key written to {path} (keep it secret). Set:")
    click.echo(f"  DKIM_DOMAIN={domain} DKIM_SELECTOR={selector} DKIM_PRIVATE_KEY={path}")
    click.echo("Publish this DNS TXT record:")
    click.echo(f"{selector}._domainkey.{domain}. IN TXT \"{record}\"")


def register(app: Flask) -> None:
    group = _mail_group(app)
    for command in (receive, poll, dkim_keygen):
        group.add_command(command)
