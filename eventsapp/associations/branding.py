"""An association's identity on its public pages and in its e-mails: name, logo, colour.

A logo goes through the app's one image guard (`eventsapp.images`: PNG, JPEG or WebP, bytes and
pixels limited before decoding) and is kept as a PNG of at most `LOGO_SIZE` pixels a side. The app
serves it itself.
A colour is "#rrggbb"; text on it is black or white, whichever contrasts more (always ≥ 4.5:1).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .. import images, links
from ..i18n import lazy_gettext as _l

MAX_LOGO_BYTES = images.MAX_BYTES
MAX_LOGO_PIXELS = images.MAX_PIXELS
LOGO_SIZE = 512
COLOR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_PAGE_COLOR = "#0a3d7a"  # the app's own blue (the menu's)
DEFAULT_MAIL_COLOR = "#b91c1c"


class BrandingError(ValueError):
    """A logo or colour that cannot be used; `message` says why in the reader's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def clean_color(value: str | None) -> str | None:
    """'#rrggbb' in lower case, None for empty; BrandingError for anything else."""
    value = (value or "").strip()
    if not value:
        return None
    if not COLOR_PATTERN.fullmatch(value):
        raise BrandingError(_l("Enter the colour as # followed by six hexadecimal digits, e.g. #b91c1c."))
    return value.lower()


def process_logo(data: bytes) -> bytes:
    """The uploaded logo re-encoded as a PNG, or BrandingError."""
    try:
        return images.reencoded_png(data, LOGO_SIZE)
    except images.ImageRejected as error:
        raise BrandingError(error.message) from None


def set_logo(association, png: bytes | None) -> None:
    """Store a logo made by `process_logo` (None removes it); the caller commits."""
    association.logo_png = png
    association.logo_version = hashlib.sha256(png).hexdigest()[:16] if png is not None else None


def _luminance(color: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, other: str) -> float:
    """WCAG contrast ratio of two '#rrggbb' colours (1 to 21)."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_color_on(background: str) -> str:
    """Black or white, whichever reads better on `background`."""
    return "#ffffff" if contrast(background, "#ffffff") >= contrast(background, "#000000") else "#000000"


@dataclass(frozen=True)
class Brand:
    name: str
    color: str
    text_color: str
    logo_url: str | None
    css_url: str


def brand(association, locale: str, *, default_color: str = DEFAULT_PAGE_COLOR, external: bool = False) -> Brand:
    """What a public page or an e-mail shows of `association` (no query: the logo is named by its version)."""
    color = association.brand_color if association.brand_color and COLOR_PATTERN.fullmatch(
        association.brand_color) else default_color
    logo_url = None
    if association.logo_version:
        path = f"/associations/{association.slug}/logo.png"  # served by associations.logo
        logo_url = links.absolute(path, v=association.logo_version) if external else f"{path}?v={association.logo_version}"
    return Brand(name=association.name(locale), color=color, text_color=text_color_on(color), logo_url=logo_url,
                 css_url=f"/associations/{association.slug}/brand.css?v={color.lstrip('#')}")


def brand_css(color: str) -> str:
    """The stylesheet of an association's colours (the CSP allows no inline style)."""
    color = color if COLOR_PATTERN.fullmatch(color or "") else DEFAULT_PAGE_COLOR
    return f":root {{ --brand-color: {color}; --brand-text: {text_color_on(color)}; }}\n"
