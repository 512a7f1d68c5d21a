"""QR codes for the door: each invitation's check-in link as a PNG for its e-mails.

Encoded by zxing-cpp (C++, about 0.7 ms) and written by Pillow as a 1-bit PNG (about 0.8 ms): a
pure-Python encoder took about 20 ms, more than the rest of an invitation e-mail together.
"""
from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from .links import checkin_url


def qr_png(text: str, scale: int = 6) -> bytes:
    """`text` as a QR code (error correction M, the standard quiet zone), `scale` pixels per module."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = barcode.to_image(scale=1)  # one 8-bit pixel per module, quiet zone included
    height, width = modules.shape
    image = Image.frombytes("L", (width, height), bytes(modules)).convert("1")
    buffer = io.BytesIO()
    image.resize((width * scale, height * scale), Image.Resampling.NEAREST).save(buffer, "PNG")
    return buffer.getvalue()


def checkin_qr_png(invitation, scale: int = 6) -> bytes:
    return qr_png(checkin_url(invitation), scale)
