"""The ceremony's PDFs (ReportLab, DejaVu fonts as the badges): tent cards, the chart of the hall, the list
per table and the master of ceremonies' script. Each writes to a file and returns how many items it drew.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ..attendance.printing import fit, register_fonts, wrap
from ..text import nfc


@dataclass
class PlaceCard:
    honorific: str
    name: str
    position: str
    seat: str  # "Bàn 3 · ghế 5", or ""


@dataclass
class ChartTable:
    number: int
    name: str
    shape: str
    capacity: int
    x: int
    y: int
    people: list[str]


@dataclass
class ScriptLine:
    number: int
    text: str  # as read aloud
    members: list[str]  # a delegation's members, read after its head


def _canvas(out, size, title: str) -> Canvas:
    register_fonts()
    canvas = Canvas(out, pagesize=size, pageCompression=1, invariant=1)
    canvas.setTitle(nfc(title))
    return canvas


def place_cards_pdf(cards: Iterable[PlaceCard], out, *, title: str) -> int:
    """Tent cards, two to an A4 sheet: each folds along its middle line and shows the honorific, the name
    and the position on both faces (the upper face upside down, read from across the table)."""
    width, height = A4
    canvas = _canvas(out, A4, title)
    margin = 10 * mm
    card_h = (height - 2 * margin) / 2
    face_h = card_h / 2
    text_w = width - 2 * margin - 16 * mm
    count = 0
    for count, card in enumerate(cards, start=1):
        slot = (count - 1) % 2
        if slot == 0 and count > 1:
            canvas.showPage()
        y0 = height - margin - (slot + 1) * card_h
        canvas.setDash(2, 2)
        canvas.setStrokeGray(0.6)
        canvas.rect(margin, y0, width - 2 * margin, card_h)  # cutting line
        canvas.line(margin, y0 + face_h, width - margin, y0 + face_h)  # folding line
        canvas.setDash()
        for upside_down in (False, True):
            canvas.saveState()
            if upside_down:  # the far face: turned about the centre of the upper half
                canvas.translate(width / 2, y0 + face_h * 1.5)
                canvas.rotate(180)
                canvas.translate(-width / 2, -face_h / 2)
            else:
                canvas.translate(0, y0)
            middle = width / 2
            canvas.setFillGray(0.25)
            honorific, size = fit(card.honorific, "EA-Serif", 16, text_w)
            canvas.setFont("EA-Serif", size)
            canvas.drawCentredString(middle, face_h * 0.72, honorific)
            canvas.setFillGray(0)
            name, size = fit(card.name, "EA-Serif-Bold", 34, text_w, smallest=14)
            canvas.setFont("EA-Serif-Bold", size)
            canvas.drawCentredString(middle, face_h * 0.47, name)
            lines, size = wrap(card.position, "EA-Serif", 13, text_w, lines=2, smallest=8)
            canvas.setFont("EA-Serif", size)
            for index, line in enumerate(lines):
                canvas.drawCentredString(middle, face_h * 0.3 - index * size * 1.25, line)
            if card.seat:
                canvas.setFont("EA-Sans", 9)
                canvas.setFillGray(0.4)
                canvas.drawRightString(width - margin - 4 * mm, 5 * mm, nfc(card.seat))
            canvas.restoreState()
    if count:
        canvas.showPage()
    canvas.save()
    return count


def chart_pdf(tables: list[ChartTable], out, *, title: str, subtitle: str, plan_size: tuple[int, int],
              table_word: str, row_word: str, plan: bool = True, lists: bool = False) -> int:
    """`table_word`/`row_word`: "Bàn {n}", "Hàng {n}". The drawn plan of the hall on one landscape A4 page (`plan`: each table where the plan puts it, with
    its number and seats taken), and (`lists`) a page per table listing who sits at each seat."""
    width, height = landscape(A4)
    canvas = _canvas(out, landscape(A4), title)
    margin = 12 * mm
    if plan:
        _plan_page(canvas, tables, title, subtitle, plan_size, table_word, row_word, width, height, margin)
    if lists:
        for table in tables:
            _table_page(canvas, table, title, table_word, row_word, width, height, margin)
    canvas.save()
    return len(tables)


def _plan_page(canvas: Canvas, tables: list[ChartTable], title: str, subtitle: str, plan_size: tuple[int, int],
               table_word: str, row_word: str, width: float, height: float, margin: float) -> None:
    canvas.setFont("EA-Sans-Bold", 14)
    canvas.drawString(margin, height - margin - 6, fit(title, "EA-Sans-Bold", 14, width - 2 * margin)[0])
    canvas.setFont("EA-Sans", 9)
    canvas.drawString(margin, height - margin - 20, nfc(subtitle))
    area_top = height - margin - 30
    scale = min((width - 2 * margin) / plan_size[0], (area_top - margin) / plan_size[1])
    canvas.setStrokeGray(0.5)
    canvas.rect(margin, area_top - plan_size[1] * scale, plan_size[0] * scale, plan_size[1] * scale)
    for table in tables:
        cx, cy = margin + table.x * scale, area_top - table.y * scale
        canvas.setStrokeGray(0)
        canvas.setFillGray(0.92)
        if table.shape == "round":
            radius = 38 * scale
            canvas.circle(cx, cy, radius, stroke=1, fill=1)
        else:
            w, h = (120 if table.shape == "long" else 200) * scale, (40 if table.shape == "long" else 18) * scale
            canvas.rect(cx - w / 2, cy - h / 2, w, h, stroke=1, fill=1)
        canvas.setFillGray(0)
        canvas.setFont("EA-Sans-Bold", 9)
        word = row_word if table.shape == "row" else table_word
        canvas.drawCentredString(cx, cy + 2, nfc(word.replace("{n}", str(table.number))))
        canvas.setFont("EA-Sans", 7)
        taken = sum(1 for person in table.people if person != "—")
        canvas.drawCentredString(cx, cy - 8, f"{taken}/{table.capacity}")
    canvas.showPage()


def _table_page(canvas: Canvas, table: ChartTable, title: str, table_word: str, row_word: str, width: float,
                height: float, margin: float) -> None:
    word = row_word if table.shape == "row" else table_word
    canvas.setFont("EA-Sans", 9)
    canvas.drawString(margin, height - margin - 4, fit(title, "EA-Sans", 9, width - 2 * margin)[0])
    heading = word.replace("{n}", str(table.number)) + (f" · {table.name}" if table.name else "")
    canvas.setFont("EA-Sans-Bold", 16)
    canvas.drawString(margin, height - margin - 24, fit(heading, "EA-Sans-Bold", 16, width - 2 * margin)[0])
    canvas.setFont("EA-Sans", 11)
    y = height - margin - 48
    for seat, person in enumerate(table.people, start=1):
        if y < margin:
            canvas.showPage()
            y = height - margin - 20
            canvas.setFont("EA-Sans", 11)
        canvas.drawString(margin, y, f"{seat}.")
        canvas.drawString(margin + 12 * mm, y, fit(person, "EA-Sans", 11, width - 2 * margin - 14 * mm)[0])
        y -= 16
    canvas.showPage()


def script_pdf(lines: Iterable[ScriptLine], out, *, title: str, heading: str, page_label: str) -> int:
    """The master of ceremonies' script: the delegates in protocol order, as they are read aloud."""
    width, height = A4
    canvas = _canvas(out, A4, title)
    margin = 18 * mm
    text_w = width - 2 * margin - 10 * mm
    page, y, count = 0, 0.0, 0

    def new_page() -> float:
        nonlocal page
        if page:
            canvas.showPage()
        page += 1
        canvas.setFont("EA-Serif-Bold", 14)
        canvas.drawString(margin, height - margin, fit(heading, "EA-Serif-Bold", 14, width - 2 * margin)[0])
        canvas.setFont("EA-Serif", 10)
        canvas.drawString(margin, height - margin - 16, fit(title, "EA-Serif", 10, width - 2 * margin)[0])
        canvas.drawRightString(width - margin, margin / 2, page_label.replace("{n}", str(page)))
        return height - margin - 44

    y = new_page()
    for line in lines:
        count += 1
        rows, size = wrap(line.text, "EA-Serif", 13, text_w, lines=3, smallest=9)
        needed = (len(rows) + len(line.members)) * 18 + 8
        if y - needed < margin:
            y = new_page()
        canvas.setFont("EA-Serif-Bold", 13)
        canvas.drawString(margin, y, f"{line.number}.")
        canvas.setFont("EA-Serif", size)
        for row in rows:
            canvas.drawString(margin + 10 * mm, y, row)
            y -= 18
        canvas.setFont("EA-Serif", 11)
        for member in line.members:
            canvas.drawString(margin + 16 * mm, y, fit(f"– {member}", "EA-Serif", 11, text_w - 6 * mm)[0])
            y -= 16
        y -= 8
    canvas.showPage()
    canvas.save()
    return count
