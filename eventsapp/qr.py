"""QR codes for the door: a check-in link as a PNG for e-mails.

Encoded by zxing-cpp (C++) and written here as a 1-bit greyscale PNG: the module rows are expanded to
pixels in one pass of string operations, each repeated `scale` times, then deflated (a 45-module code
is 270 px wide, 34 bytes a row). Pillow's convert/resize/save cost as much again as the encoding.
An invitation's PNG is made once and stored (eventsapp/invitations/checkin_codes.py); this process
also keeps the last few thousand by text (`functools.lru_cache`) for codes not stored yet.
"""
from __future__ import annotations

import functools
import struct
import zlib

import zxingcpp

QR_CACHE_SIZE = 4096  # a few MB: the PNGs are about 700 bytes
_DIGITS = bytes.maketrans(b"\x00\xff", b"01")


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def _png_1bit(rows: list[bytes], width: int, repeat: int = 1) -> bytes:
    """A PNG of packed 1-bit rows (0 = black), each row `repeat` times, filter type 0 on every row."""
    header = struct.pack(">IIBBBBB", width, len(rows) * repeat, 1, 0, 0, 0, 0)  # 1 bit, greyscale, no interlace
    scanlines = b"".join([(b"\x00" + row) * repeat for row in rows])
    data = zlib.compress(scanlines, 1)  # fastest: a few hundred bytes either way
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


@functools.lru_cache(maxsize=QR_CACHE_SIZE)
def qr_png(text: str, scale: int = 6) -> bytes:
    """`text` as a QR code (error correction M, the standard quiet zone), `scale` pixels per module."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = barcode.to_image(scale=1)  # one 8-bit pixel per module (0 black, 255 white), quiet zone included
    height, width = modules.shape
    # Every module as "0" (black) or "1", widened to `scale` bits, each row padded to whole bytes ("|"
    # marks a row's end), then parsed as one binary number: string operations in C, not a loop per pixel.
    digits = bytes(modules).translate(_DIGITS).decode("ascii")
    padding = -width * scale % 8
    row_bytes = (width * scale + padding) // 8
    bits = "|".join([digits[y * width:(y + 1) * width] for y in range(height)]) + "|"
    bits = bits.replace("0", "0" * scale).replace("1", "1" * scale).replace("|", "0" * padding)
    packed = int(bits, 2).to_bytes(row_bytes * height, "big")
    rows = [packed[start:start + row_bytes] for start in range(0, len(packed), row_bytes)]
    return _png_1bit(rows, width * scale, repeat=scale)
