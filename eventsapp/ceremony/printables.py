"""The ceremony's PDFs, made by a worker (`ceremony.render_printable`) into the event's `Printable` rows
like the badges: place cards, the chart of the hall, the list per table, the master of ceremonies' script.
The caller commits."""
from __future__ import annotations

import logging
import tempfile

from flask import current_app
from flask_babel import force_locale

from ..after_commit import enqueue_after_commit
from ..attendance.models import Printable
from ..events.models import Event
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..timeutils import in_zone, utcnow
from . import mc, printing, seating
from .seating import PLAN_HEIGHT, PLAN_WIDTH

KINDS = {"place_cards": _l("Place cards"), "seating_chart": _l("Seating chart of the hall"),
         "table_lists": _l("List per table"), "mc_script": _l("Master of ceremonies' script")}
RENDER_TASK = "ceremony.render_printable"


class PrintableError(ValueError):
    """Nothing to print; str() says why."""


def request_printable(event: Event, kind: str, locale: str, *, by=None) -> Printable:
    """Queue a PDF for a worker: the row now, the drawing after commit."""
    if kind not in KINDS:
        raise PrintableError(_("Unknown kind of printable."))
    if kind == "mc_script":
        if not mc.entries(event, present_only=False):
            raise PrintableError(_("Nobody has accepted yet, so there is nothing to print."))
    elif not seating.tables(event):
        raise PrintableError(_("The plan has no tables yet."))
    row = Printable(event=event, kind=kind, options={"locale": locale if locale in ("vi", "en") else "vi"},
                    requested_by=by)
    db.session.add(row)
    db.session.flush()
    enqueue_after_commit(current_app.extensions["celery"].signature(RENDER_TASK), row.id)
    return row


def describe(row: Printable) -> str:
    return str(KINDS.get(row.kind, ""))


def place_cards(event: Event):
    seats, _tables = seating.seats(event)
    for each in seats:
        if each.table is not None:
            yield printing.PlaceCard(each.person.honorific, each.person.name, each.person.position,
                                     seating.seat_text(each.table.shape, each.table.number, each.seat))


def chart_tables(event: Event) -> list[printing.ChartTable]:
    seats, tables = seating.seats(event)
    people: dict[int, dict[int, str]] = {table.id: {} for table in tables}
    for each in seats:
        if each.table is not None:
            people[each.table.id][each.seat] = f"{each.person.honorific} {each.person.name}".strip()
    return [printing.ChartTable(table.number, table.name, table.shape, table.capacity, table.x, table.y,
                                [people[table.id].get(n, "—") for n in range(1, table.capacity + 1)]
                                if people[table.id] else [])
            for table in tables]


def script_lines(event: Event):
    for entry in mc.entries(event, present_only=False):
        yield printing.ScriptLine(entry.number, entry.text, entry.members)


def _draw(row: Printable, event: Event, out) -> int:
    stamp = in_zone(utcnow(), event.timezone).strftime("%d/%m/%Y %H:%M")
    if row.kind == "place_cards":
        count = printing.place_cards_pdf(place_cards(event), out, title=event.title_vi)
        seating.mark_printed(event.id)
        return count
    if row.kind == "mc_script":
        return printing.script_pdf(script_lines(event), out, title=event.title_vi,
                                   heading=_("Introducing the delegates"), page_label=_("Page %(n)s", n="{n}"))
    return printing.chart_pdf(chart_tables(event), out, title=event.title_vi,
                              subtitle=_("Seating plan printed at %(time)s", time=stamp),
                              plan_size=(PLAN_WIDTH, PLAN_HEIGHT), table_word=_("Table %(n)s", n="{n}"), row_word=_("Row %(n)s", n="{n}"),
                              plan=row.kind == "seating_chart", lists=row.kind == "table_lists")


def render(printable_id: int) -> None:
    """Draw a queued printable into a temporary file, then store it; a failure is recorded on the row."""
    row = db.session.get(Printable, printable_id)
    if row is None or row.state == "done" or row.kind not in KINDS:
        return
    row.state = "running"
    db.session.commit()
    try:
        with force_locale((row.options or {}).get("locale", "vi")), tempfile.TemporaryFile() as out:
            count = _draw(row, row.event, out)
            out.seek(0)
            row.content = out.read()
    except Exception as error:  # recorded for the organiser; the worker goes on
        db.session.rollback()
        row = db.session.get(Printable, printable_id)
        row.state, row.error, row.finished_at = "failed", str(error)[:500], utcnow()
        db.session.commit()
        logging.getLogger(__name__).exception("printable %s failed", printable_id)
        return
    row.state, row.item_count, row.finished_at = "done", count, utcnow()
    db.session.commit()
