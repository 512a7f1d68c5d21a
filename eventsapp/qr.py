"""QR codes for the door: each invitation's check-in link as PNG or SVG (segno)."""
from __future__ import annotations

import io

import segno

from .links import checkin_url


def checkin_qr_png(invitation, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    segno.make(checkin_url(invitation), error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def checkin_qr_svg(invitation, scale: int = 4) -> str:
    buffer = io.BytesIO()
    segno.make(checkin_url(invitation), error="m").save(buffer, kind="svg", scale=scale, border=2, xmldecl=False)
    return buffer.getvalue().decode()
