"""`flask reminders preview [--at TIME]`: what the reminder beat would send, without sending."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..timeutils import UTC, utcnow
from . import services

reminders_cli = AppGroup("reminders", help="Reminder and thank-you e-mails.")


def parse_time(value: str | None) -> datetime:
    """An ISO 8601 date and time; without an offset it is wall time in EVENTSAPP_TIMEZONE."""
    if value in (None, "", "now"):
        return utcnow()
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date and time (e.g. 2027-02-10T08:00+07:00).",
                                 param_hint="--at") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_app.config["DEFAULT_TIMEZONE"]))
    return moment.astimezone(UTC)


def describe_plan(plan: services.Plan) -> str:
    rule, event = plan.rule, plan.rule.event
    head = (f"{rule.fire_at:%Y-%m-%d %H:%M} UTC  rule {rule.id}  {rule.kind.value} "
            f"{rule.anchor.value}{rule.offset_minutes:+d}min  event {event.id} ({event.slug})")
    if plan.reason is not None:
        return f"{head}: skipped ({plan.reason.value})"
    left_out = ", ".join(f"{reason.value} {count}" for reason, count in sorted(plan.skip_counts.items()))
    return f"{head}: {len(plan.rows)} recipient(s)" + (f"; left out: {left_out}" if left_out else "")


@reminders_cli.command("preview")
@click.option("--at", "at", default=None, metavar="TIME",
              help="The moment to look at (ISO 8601; no offset = EVENTSAPP_TIMEZONE); default: now.")
def preview(at: str | None) -> None:
    """List the rules due by TIME: to how many people each would go, who is left out and why,
    and the rules that would be skipped. Sends and changes nothing."""
    moment = parse_time(at)
    plans = services.preview(moment)
    click.echo(f"Reminder rules due by {moment:%Y-%m-%d %H:%M} UTC (nothing is sent by this command):")
    for plan in plans:
        click.echo("  " + describe_plan(plan))
    firing = [p for p in plans if p.reason is None]
    click.echo(f"{len(firing)} rule(s) would fire to {sum(len(p.rows) for p in firing)} people; "
               f"{len(plans) - len(firing)} rule(s) would be skipped.")


def register(app: Flask) -> None:
    app.cli.add_command(reminders_cli)
