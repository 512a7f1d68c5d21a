"""The one guard every uploaded image goes through (an association's logo, a certificate's logo).

An upload is accepted only as PNG, JPEG or WebP, recognised by Pillow from its content (never from
the file name), at most `MAX_BYTES`, and at most `MAX_PIXELS` as its header declares them — read before
a single pixel is decoded, so a small file that would decode to gigabytes costs nothing. It is then
decoded and re-encoded as a PNG at most `max_side` pixels a side: whatever else the upload carried
(metadata, trailing bytes, scripts) is not kept.
"""
from __future__ import annotations

import io

from .i18n import lazy_gettext as _l

MAX_BYTES = 1024 * 1024
MAX_PIXELS = 25_000_000  # width × height read from the header, checked before decoding
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")


class ImageRejected(ValueError):
    """An upload that is not a usable image; `message` says why in the reader's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def reencoded_png(data: bytes, max_side: int) -> bytes:
    """The uploaded image as a PNG of at most `max_side` pixels a side, or ImageRejected."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageRejected(_l("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImageRejected(_l("The logo is too large: at most %(size)s KB.", size=MAX_BYTES // 1024))
    try:
        with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ImageRejected(_l("The logo has too many pixels."))
            image.load()
            image = image.convert("RGBA")
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ImageRejected(_l("The logo must be a PNG, JPEG or WebP image.")) from None
    image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
