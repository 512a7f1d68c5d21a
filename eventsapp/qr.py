"""QR codes for the door: each invitation's check-in link as a PNG for its e-mails.

Encoded by zxing-cpp (C++) and written here as a 1-bit greyscale PNG: each module row is expanded to
pixels once and repeated `scale` times, then deflated (a 45-module code is 270 px wide, 34 bytes a
row). Pillow's convert/resize/save cost as much again as the encoding. The PNG of a check-in link is
kept per process by check-in URL (`functools.lru_cache`), so the reminders, updates and retries of
an invitation reuse it.
"""
from __future__ import annotations

import functools
import struct
import zlib

import zxingcpp

from .links import checkin_url

QR_CACHE_SIZE = 4096  # a few MB: the PNGs are about 700 bytes
_DIGITS = bytes.maketrans(b"\x00\xff", b"01")


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def _png_1bit(rows: list[bytes], width: int) -> bytes:
    """A PNG of packed 1-bit rows (0 = black), filter type 0 on every row."""
    header = struct.pack(">IIBBBBB", width, len(rows), 1, 0, 0, 0, 0)  # 1 bit, greyscale, no interlace
    data = zlib.compress(b"".join(b"\x00" + row for row in rows), 1)  # fastest: a few hundred bytes either way
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


@functools.lru_cache(maxsize=QR_CACHE_SIZE)
def qr_png(text: str, scale: int = 6) -> bytes:
    """`text` as a QR code (error correction M, the standard quiet zone), `scale` pixels per module."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = barcode.to_image(scale=1)  # one 8-bit pixel per module (0 black, 255 white), quiet zone included
    height, width = modules.shape
    # Each module as "0" (black) or "1", widened to `scale` bits, all in C string operations.
    digits = bytes(modules).translate(_DIGITS).decode("ascii")
    padding, row_bytes, rows = "0" * (-width * scale % 8), (width * scale + 7) // 8, []
    for y in range(height):
        bits = digits[y * width:(y + 1) * width].replace("0", "0" * scale).replace("1", "1" * scale)
        rows.extend([int(bits + padding, 2).to_bytes(row_bytes, "big")] * scale)
    return _png_1bit(rows, width * scale)


def checkin_qr_png(invitation, scale: int = 6) -> bytes:
    return qr_png(checkin_url(invitation), scale)
