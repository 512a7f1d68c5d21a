"""Printables as PDF (ReportLab): name badges with the check-in QR code, the door list, certificates.

ReportLab writes PDF straight from drawing calls (no HTML layout pass), with TrueType fonts embedded
as subsets; Vietnamese is written precomposed (NFC), which DejaVu covers without shaping. Pages are
drawn one at a time from rows read in chunks. ReportLab keeps a document's objects until it is saved:
what a page leaves there is kept small (a QR code is one deflated image of a few hundred bytes,
encoded by zxing-cpp as the e-mails' are), so a batch costs the worker about its PDF's size.
"""
from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import zxingcpp
from flask import current_app
from PIL import Image
from reportlab.lib.pagesizes import A3, A4, A5, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from ..text import nfc

PAPER = {"A4": A4, "A3": A3, "A5": A5}
FONT_FILES = {
    "Sans": "DejaVuSans.ttf", "Sans-Bold": "DejaVuSans-Bold.ttf",
    "Serif": "DejaVuSerif.ttf", "Serif-Bold": "DejaVuSerif-Bold.ttf",
}
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts/dejavu")


class FontsMissing(RuntimeError):
    """The DejaVu fonts (Debian: fonts-dejavu-core) are not installed where PDF_FONT_DIR points."""


def _font_dir() -> str:
    configured = current_app.config.get("PDF_FONT_DIR")
    for folder in ([configured] if configured else []) + list(FONT_DIRS):
        if folder and all(os.path.exists(os.path.join(folder, f)) for f in FONT_FILES.values()):
            return folder
    raise FontsMissing("DejaVu fonts not found: install fonts-dejavu-core or set PDF_FONT_DIR")


def register_fonts() -> None:
    """Register the DejaVu faces once per process (ReportLab keeps them globally)."""
    if "EA-Sans" in pdfmetrics.getRegisteredFontNames():
        return
    folder = _font_dir()
    for name, filename in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(f"EA-{name}", os.path.join(folder, filename)))


def fit(text: str, font: str, size: float, width: float, smallest: float = 6) -> tuple[str, float]:
    """`text` and a font size at which it fits `width`: shrunk down to `smallest`, then cut with an ellipsis."""
    text = nfc(text)
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text, size
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…", size


def wrap(text: str, font: str, size: float, width: float, lines: int = 2, smallest: float = 6) -> tuple[list[str], float]:
    """`text` broken at spaces into at most `lines` lines that fit `width`, shrunk down to `smallest` if
    needed (then the last line is cut with an ellipsis by `fit`)."""
    words = nfc(text).split()
    while True:
        rows: list[str] = []
        for word in words:
            candidate = f"{rows[-1]} {word}" if rows else word
            if rows and pdfmetrics.stringWidth(candidate, font, size) <= width:
                rows[-1] = candidate
            else:
                rows.append(word)
        widest = max((pdfmetrics.stringWidth(row, font, size) for row in rows), default=0)
        if (len(rows) <= lines and widest <= width) or size <= smallest:
            break
        size -= 0.5
    if len(rows) > lines:
        rows = rows[:lines - 1] + [" ".join(rows[lines - 1:])]
    return [fit(row, font, size, width, smallest=size)[0] for row in rows], size


QR_PIXELS_PER_MODULE = 4  # sharp when printed (a viewer that smooths an enlarged image blurs a quarter module)


def draw_qr(canvas: Canvas, text: str, x: float, y: float, side: float) -> None:
    """The QR code of `text` (error correction M, quiet zone included) in a `side`-wide square at (x, y).

    Drawn as one small greyscale image inline in the page (about 600 bytes deflated), not as a vector
    path: ReportLab keeps every page until the document is saved, and a path of hundreds of rectangles
    per code, kept uncompressed, made a worker's memory grow by some 18 KB a badge. An inline image also
    leaves no image object behind in the document, as `drawImage`'s would.
    """
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = barcode.to_image(scale=QR_PIXELS_PER_MODULE)  # 8-bit pixels, 0 black, 255 white
    rows, cols = modules.shape
    canvas.drawInlineImage(Image.frombytes("L", (cols, rows), bytes(modules)), x, y, side, side)


# ---------------------------------------------------------------- badges

@dataclass
class Badge:
    name: str
    association: str
    qr_text: str
    honoree: bool = False
    seat: str = ""  # "Bàn 3 · ghế 5" when the seating plan has one (issue 28)


@dataclass
class BadgeLayout:
    paper: str = "A4"
    columns: int = 2
    rows: int = 5

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows


def _canvas(out, size: tuple[float, float], title: str) -> Canvas:
    """A compressed, reproducible PDF canvas of `size` with the fonts registered."""
    register_fonts()
    canvas = Canvas(out, pagesize=size, pageCompression=1, invariant=1)
    canvas.setTitle(title)
    return canvas


def badges_pdf(badges: Iterable[Badge], layout: BadgeLayout, out, title: str = "") -> int:
    """Write name badges, `layout.columns` × `layout.rows` per sheet, to the file `out`; the count."""
    width, height = PAPER[layout.paper]
    canvas = _canvas(out, (width, height), title)
    margin = 8 * mm
    cell_w = (width - 2 * margin) / layout.columns
    cell_h = (height - 2 * margin) / layout.rows
    pad = min(cell_w, cell_h) * 0.06
    count = 0
    for count, badge in enumerate(badges, start=1):
        slot = (count - 1) % layout.per_sheet
        if slot == 0 and count > 1:
            canvas.showPage()
        col, row = slot % layout.columns, slot // layout.columns
        x0, y0 = margin + col * cell_w, height - margin - (row + 1) * cell_h
        canvas.setDash(2, 2)
        canvas.setStrokeGray(0.7)
        canvas.rect(x0, y0, cell_w, cell_h)  # cutting line
        canvas.setDash()
        qr_side = min(cell_h - 2 * pad, cell_w * 0.42)
        draw_qr(canvas, badge.qr_text, x0 + cell_w - pad - qr_side, y0 + (cell_h - qr_side) / 2, qr_side)
        text_w = cell_w - 3 * pad - qr_side
        name, size = fit(badge.name, "EA-Sans-Bold", min(22, cell_h / 5), text_w)
        canvas.setFont("EA-Sans-Bold", size)
        canvas.drawString(x0 + pad, y0 + cell_h / 2 + size * 0.2, name)
        association, small = fit(badge.association, "EA-Sans", min(11, size * 0.6), text_w)
        canvas.setFont("EA-Sans", small)
        canvas.drawString(x0 + pad, y0 + cell_h / 2 - small * 1.6, association)
        if badge.honoree:
            canvas.setFont("EA-Sans-Bold", small)
            canvas.drawString(x0 + pad, y0 + pad, "★")
        if badge.seat:
            seat, seat_size = fit(badge.seat, "EA-Sans-Bold", small, text_w - 2 * small)
            canvas.setFont("EA-Sans-Bold", seat_size)
            canvas.drawString(x0 + pad + 2 * small, y0 + pad, seat)
    if count:
        canvas.showPage()
    canvas.save()
    return count


# ---------------------------------------------------------------- the door list

@dataclass
class DoorLine:
    name: str
    association: str
    status: str
    guests: int
    checked_in: str = ""


def door_list_pdf(lines: Iterable[DoorLine], out, *, title: str, subtitle: str, headers: dict[str, str],
                  page_label: str) -> int:
    """The paper door list: one line per invitee with a box to tick; a header on every page."""
    register_fonts()
    width, height = A4
    canvas = Canvas(out, pagesize=A4, pageCompression=1, invariant=1)
    canvas.setTitle(title)
    margin = 14 * mm
    line_h = 7.5 * mm
    columns = [("box", 8 * mm), ("no", 10 * mm), ("name", 58 * mm), ("association", 46 * mm),
               ("status", 26 * mm), ("guests", 18 * mm), ("checked_in", 16 * mm)]
    page = 0

    def header() -> float:
        nonlocal page
        page += 1
        top = height - margin
        canvas.setFont("EA-Sans-Bold", 13)
        canvas.drawString(margin, top - 10, fit(title, "EA-Sans-Bold", 13, width - 2 * margin)[0])
        canvas.setFont("EA-Sans", 9)
        canvas.drawString(margin, top - 24, subtitle)
        canvas.drawRightString(width - margin, margin / 2, page_label.replace("{n}", str(page)))
        y = top - 44
        x = margin
        for key, w in columns:  # a long label takes two lines in its own column, never its neighbour's
            rows, size = wrap(headers.get(key, ""), "EA-Sans-Bold", 8.5, w - 3)
            canvas.setFont("EA-Sans-Bold", size)
            for n, row in enumerate(rows):
                canvas.drawString(x + 1.5, y + 2 + (len(rows) - 1 - n) * (size + 1), row)
            x += w
        canvas.line(margin, y - 1.5, width - margin, y - 1.5)
        return y - line_h

    y = header()
    count = 0
    for count, line in enumerate(lines, start=1):
        if y < margin + line_h:
            canvas.showPage()
            y = header()
        x = margin
        canvas.setLineWidth(0.8)
        canvas.rect(x + 1.5, y, 4.2 * mm, 4.2 * mm)  # the box to tick
        x += columns[0][1]
        canvas.setFont("EA-Sans", 8.5)
        canvas.drawRightString(x + columns[1][1] - 3, y + 3, str(count))
        x += columns[1][1]
        for key, w in columns[2:]:
            value = {"name": line.name, "association": line.association, "status": line.status,
                     "guests": str(line.guests) if line.guests else "", "checked_in": line.checked_in}[key]
            font = "EA-Sans-Bold" if key == "name" else "EA-Sans"
            text, size = fit(value, font, 10 if key == "name" else 8.5, w - 3, smallest=6.5)
            canvas.setFont(font, size)
            canvas.drawString(x + 1.5, y + 3, text)
            x += w
        canvas.setLineWidth(0.3)
        canvas.setStrokeGray(0.75)
        canvas.line(margin, y - 2, width - margin, y - 2)
        canvas.setStrokeGray(0)
        y -= line_h
    canvas.showPage()
    canvas.save()
    return count


# ---------------------------------------------------------------- certificates

@dataclass
class Certificate:
    association: str
    title: str
    intro: str
    honoree: str
    award: str
    citation: str
    event_title: str
    dateline: str
    signer_title: str
    signer_name: str
    logo_png: bytes | None = None


def vietnamese_dateline(place: str, day: date) -> str:
    """"Bắc Giang, ngày 5 tháng 2 năm 2027": the place and date as Vietnamese documents write them."""
    written = f"ngày {day.day} tháng {day.month} năm {day.year}"
    return f"{nfc(place).strip()}, {written}" if place.strip() else written[0].upper() + written[1:]


def certificates_pdf(certificates: Iterable[Certificate], out, title: str = "") -> int:
    """One landscape A4 page per certificate."""
    width, height = landscape(A4)
    canvas = _canvas(out, (width, height), title)
    logos: dict[bytes, ImageReader] = {}
    count = 0
    centre = width / 2
    for cert in certificates:
        count += 1
        canvas.setStrokeColorRGB(0.62, 0.45, 0.1)
        canvas.setLineWidth(3)
        canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
        canvas.setLineWidth(0.8)
        canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
        top = height - 26 * mm
        if cert.logo_png:
            reader = logos.setdefault(cert.logo_png, ImageReader(io.BytesIO(cert.logo_png)))
            iw, ih = reader.getSize()
            side = 24 * mm
            scale = side / max(iw, ih)
            canvas.drawImage(reader, centre - iw * scale / 2, top - ih * scale, iw * scale, ih * scale, mask="auto")
            top -= side + 4 * mm
        lines = [
            (cert.association.upper(), "EA-Serif-Bold", 13, 6 * mm),
            (cert.title.upper(), "EA-Serif-Bold", 34, 9 * mm),
            (cert.intro, "EA-Serif", 15, 7 * mm),
            (cert.honoree, "EA-Serif-Bold", 30, 8 * mm),
            (cert.award, "EA-Serif-Bold", 16, 5 * mm),
            (cert.citation, "EA-Serif", 12, 4 * mm),
            (cert.event_title, "EA-Serif", 12, 4 * mm),
        ]
        canvas.setFillColorRGB(0.55, 0.05, 0.05)
        for text, font, size, step in lines:
            if not text:
                continue
            text, size = fit(text, font, size, width - 50 * mm)
            canvas.setFont(font, size)
            canvas.drawCentredString(centre, top - size, text)
            top -= size + step
            canvas.setFillColorRGB(0.1, 0.1, 0.1)
        right = width * 0.72
        canvas.setFont("EA-Serif", 12)
        canvas.drawCentredString(right, 46 * mm, cert.dateline)
        canvas.setFont("EA-Serif-Bold", 12)
        canvas.drawCentredString(right, 40 * mm, fit(cert.signer_title, "EA-Serif-Bold", 12, width * 0.4)[0])
        canvas.drawCentredString(right, 20 * mm, fit(cert.signer_name, "EA-Serif-Bold", 12, width * 0.4)[0])
        canvas.showPage()
    canvas.save()
    return count


def chunked(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---------------------------------------------------------------- invitation cards and address labels

CARD_CLIP = 600  # no line of an A5 card holds more: longer values are cut before measuring (fit is quadratic)


def clean_line(text: str | None, limit: int = CARD_CLIP) -> str:
    """One printable line: NFC, whitespace (CR/LF, tabs) folded to single spaces, control characters and
    lone surrogates dropped, at most `limit` characters."""
    words = nfc(text or "").split()
    line = " ".join("".join(ch for ch in word if ch.isprintable()) for word in words)
    return " ".join(line.split())[:limit]


def clean_lines(text: str | None, most: int = 4) -> list[str]:
    """A postal address as printed: its own lines cleaned, empty ones dropped, at most `most`."""
    rows = [clean_line(row) for row in (text or "").splitlines()]
    return [row for row in rows if row][:most]


@dataclass
class InvitationCard:
    """What one A5 card says; the words around the values ("Trân trọng kính mời…") are in the reader's
    language, chosen by the caller."""
    association: str
    heading: str          # "GIẤY MỜI" / "INVITATION"
    salutation: str       # salutations.greeting(contact, contact.language)
    intro: str            # "Trân trọng kính mời tới dự"
    event_title: str
    when_label: str
    when: str
    where_label: str
    where: str
    deadline: str         # "Xin vui lòng trả lời trước …", or ""
    qr_caption: str
    qr_text: str
    logo_png: bytes | None = None


def _card(canvas: Canvas, card: InvitationCard, x0: float, y0: float, width: float, height: float,
          logos: dict) -> None:
    """One card in the A5 box at (x0, y0): text centred from the top, the QR code at the bottom."""
    pad = 14 * mm
    inner = width - 2 * pad
    centre = x0 + width / 2
    top = y0 + height - 12 * mm
    canvas.setFillGray(0)
    if card.logo_png:
        reader = logos.setdefault(card.logo_png, ImageReader(io.BytesIO(card.logo_png)))
        iw, ih = reader.getSize()
        side = 18 * mm
        scale = side / max(iw, ih)
        canvas.drawImage(reader, centre - iw * scale / 2, top - ih * scale, iw * scale, ih * scale, mask="auto")
        top -= side + 3 * mm

    def centred(text: str, font: str, size: float, lines: int, step: float) -> None:
        nonlocal top
        rows, size = wrap(clean_line(text), font, size, inner, lines=lines)
        canvas.setFont(font, size)
        for row in rows:
            canvas.drawCentredString(centre, top - size, row)
            top -= size * 1.25
        top -= step

    def labelled(label: str, value: str) -> None:
        nonlocal top
        rows, size = wrap(f"{clean_line(label)} {clean_line(value)}", "EA-Serif", 11, inner, lines=2, smallest=7)
        canvas.setFont("EA-Serif", size)
        for row in rows:
            canvas.drawString(x0 + pad, top - size, row)
            top -= size * 1.3
        top -= 1.5 * mm

    centred(card.association.upper(), "EA-Serif-Bold", 11, 2, 5 * mm)
    canvas.setFillColorRGB(0.55, 0.05, 0.05)
    centred(card.heading, "EA-Serif-Bold", 24, 1, 5 * mm)
    canvas.setFillGray(0)
    rows, size = wrap(clean_line(card.salutation), "EA-Serif-Bold", 12, inner, lines=3, smallest=7)
    canvas.setFont("EA-Serif-Bold", size)
    for row in rows:  # a letter's salutation starts at the left margin
        canvas.drawString(x0 + pad, top - size, row)
        top -= size * 1.3
    top -= 3 * mm
    centred(card.intro, "EA-Serif", 11, 1, 1.5 * mm)
    centred(card.event_title, "EA-Serif-Bold", 15, 3, 4 * mm)
    labelled(card.when_label, card.when)
    if clean_line(card.where):
        labelled(card.where_label, card.where)
    if card.deadline:
        rows, size = wrap(clean_line(card.deadline), "EA-Serif", 10, inner, lines=2, smallest=7)
        canvas.setFont("EA-Serif", size)
        for row in rows:
            canvas.drawString(x0 + pad, top - size, row)
            top -= size * 1.3
    qr_side = 30 * mm
    draw_qr(canvas, card.qr_text, centre - qr_side / 2, y0 + 15 * mm, qr_side)
    caption, size = fit(clean_line(card.qr_caption), "EA-Sans", 8, inner)
    canvas.setFont("EA-Sans", size)
    canvas.drawCentredString(centre, y0 + 10 * mm, caption)


def invitation_cards_pdf(cards: Iterable[InvitationCard], out, title: str = "") -> int:
    """A5 invitation cards, two to a landscape A4 sheet with a cutting line between them; the count."""
    width, height = landscape(A4)
    canvas = _canvas(out, (width, height), title)
    logos: dict[bytes, ImageReader] = {}
    count = 0
    for count, card in enumerate(cards, start=1):
        left = count % 2 == 1
        if left and count > 1:
            canvas.showPage()
        if left:
            canvas.setDash(2, 2)
            canvas.setStrokeGray(0.7)
            canvas.line(width / 2, 0, width / 2, height)  # cutting line
            canvas.setDash()
            canvas.setStrokeGray(0)
        _card(canvas, card, 0 if left else width / 2, 0, width / 2, height, logos)
    if count:
        canvas.showPage()
    canvas.save()
    return count


@dataclass
class AddressLabel:
    addressee: str
    address: str


LABEL_COLUMNS, LABEL_ROWS = 3, 8  # the common A4 sheet of 24 labels, 70 × 37 mm, no margins


def address_labels_pdf(labels: Iterable[AddressLabel], out, title: str = "") -> int:
    """Address labels, 3 × 8 on A4 (70 × 37 mm each): the addressee in bold, then the postal address."""
    register_fonts()
    width, height = A4
    canvas = Canvas(out, pagesize=A4, pageCompression=1, invariant=1)
    canvas.setTitle(title)
    cell_w, cell_h = width / LABEL_COLUMNS, height / LABEL_ROWS
    pad = 4 * mm
    text_w = cell_w - 2 * pad
    count = 0
    for count, label in enumerate(labels, start=1):
        slot = (count - 1) % (LABEL_COLUMNS * LABEL_ROWS)
        if slot == 0 and count > 1:
            canvas.showPage()
        col, row = slot % LABEL_COLUMNS, slot // LABEL_COLUMNS
        x0, top = col * cell_w + pad, height - row * cell_h - pad
        rows, size = wrap(clean_line(label.addressee), "EA-Sans-Bold", 8.5, text_w, lines=2, smallest=6)
        canvas.setFont("EA-Sans-Bold", size)
        for text in rows:
            canvas.drawString(x0, top - size, text)
            top -= size * 1.2
        top -= 1 * mm
        lines = clean_lines(label.address)
        small = 8.5
        for line in lines:  # each address line on its own; a long one shrinks, then is cut
            text, small = fit(line, "EA-Sans", small, text_w, smallest=6)
        for line in lines:
            text, size = fit(line, "EA-Sans", small, text_w, smallest=6)
            canvas.setFont("EA-Sans", size)
            canvas.drawString(x0, top - size, text)
            top -= size * 1.2
    if count:
        canvas.showPage()
    canvas.save()
    return count
