"""`flask contacts import FILE --association SLUG [--dry-run] [--valid-only]`."""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from ..associations import services as association_services
from ..extensions import db
from ..privacy.models import Basis
from . import importing

contacts_cli = AppGroup("contacts", help="The contact directory.")


@contacts_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--association", "slug", required=True, help="Short name of the association added to every row.")
@click.option("--dry-run", is_flag=True, help="Check the file and print what would happen; write nothing.")
@click.option("--valid-only", is_flag=True, help="Import the valid rows even when other rows have errors.")
@click.option("--basis", type=click.Choice([b.value for b in Basis]), default=None,
              help="Why the association may write to the people of this list, recorded as each row's consent "
                   "(none: nothing is sent until they agree).")
def import_command(file: Path, slug: str, dry_run: bool, valid_only: bool, basis: str | None) -> None:
    """Import contacts from a CSV or XLSX FILE (headers in Vietnamese or English)."""
    association = association_services.get_by_slug(slug)
    if association is None:
        raise click.ClickException(f"Unknown association: {slug}")
    started = time.perf_counter()
    try:
        result = importing.check_file(file.name, file.read_bytes(), None, association)
    except importing.ImportFileError as error:
        raise click.ClickException(str(error)) from None
    for row in result.errors:
        for column, message in row.errors:
            click.echo(f"row {row.number}, {column}: {message}", err=True)
    counts = result.counts
    click.echo(f"{len(result.rows)} rows: {counts['create']} to create, {counts['update']} to update, "
               f"{counts['skip']} unchanged, {counts['error']} with errors.")
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing written.")
        return
    try:
        done = importing.apply(result, valid_only=valid_only, basis=Basis(basis) if basis else None)
    except importing.ImportRefused as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Imported: {done['created']} created, {done['updated']} updated, {done['skipped']} unchanged, "
               f"{done['errors']} rows left out ({time.perf_counter() - started:.1f} s).")


def register(app: Flask) -> None:
    app.cli.add_command(contacts_cli)
