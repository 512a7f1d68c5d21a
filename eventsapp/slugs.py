"""URL slugs from Vietnamese titles: without diacritics, unique per table."""
from __future__ import annotations

import re

from sqlalchemy import select

from .extensions import db
from .text import fold


def slugify(title: str, max_length: int = 80) -> str:
    """'Tuần lễ Tết Việt 2027' → 'tuan-le-tet-viet-2027'."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")
    return slug[:max_length].rstrip("-") or "muc"


def unique_slug(model, title: str, exclude_id: int | None = None, max_length: int = 80) -> str:
    """A slug for `title` not yet used by another row of `model` (suffix -2, -3, … when taken)."""
    base = slugify(title, max_length)
    query = select(model.slug).where(model.slug.like(f"{base}%"))
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    taken = set(db.session.scalars(query))
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate
