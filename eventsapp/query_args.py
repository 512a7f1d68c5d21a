"""Numbers read from a page's query string (`?page=`, `?association=`, `?invitation=`), bounded so that no
value reaches the database beyond its integer columns (PostgreSQL answers such a value with an error):
a page number outside 1..MAX_PAGE is a 400 saying so; an id outside the id columns' range is an id that
does not exist."""
from __future__ import annotations

from flask import request

from .errors import refuse
from .extensions import db
from .i18n import gettext as _
from .validation import INT_MAX

MAX_PAGE = 100_000  # far beyond any list; keeps OFFSET (page × size) within PostgreSQL's bigint


def id_value(text: str | None) -> int | None:
    """`text` as a database id: None when absent or empty; 0, which is never an id (so a lookup finds
    nothing and a filter is left out), when it is not a whole number from 1 to 2,147,483,647."""
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(INT_MAX)):
        return 0
    number = int(text)
    return number if number <= INT_MAX else 0


def optional_id(name: str) -> int | None:
    """The id in `?name=` (see `id_value`)."""
    return id_value(request.args.get(name))


def page_number(name: str = "page") -> int:
    """The page `?page=` asks for: 1 when absent, not a number or 0 (as other unknown filter values are
    ignored); a number beyond MAX_PAGE is refused with a 400 that says what a page number must be."""
    text = (request.args.get(name) or "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    if len(text) <= len(str(MAX_PAGE)) and int(text) <= MAX_PAGE:
        return max(int(text), 1)
    message = _("The page number must be a whole number from 1 to %(maximum)s.", maximum=MAX_PAGE)
    refuse(400, message, code="invalid_page")


def paginate(query, per_page: int, *, total: int | None = None, key=None, options: tuple = ()):
    """One page (Flask-SQLAlchemy's Pagination) of `query` at `?page=`; past the last page, an empty one.

    For long lists (the message log's 100,000 rows): `total`, when the caller knows it already, spares
    the count; with `key` (the rows' primary key column) the page's keys are found first and only those
    rows read (with loader `options`), so that a late page's OFFSET skips index entries, not whole rows."""
    if key is None and total is None and not options:
        return db.paginate(query, page=page_number(), per_page=per_page, error_out=False)
    page = db.paginate(query.with_only_columns(key) if key is not None else query, page=page_number(),
                       per_page=per_page, error_out=False, count=total is None)
    if key is not None and page.items:
        found = {getattr(row, key.key): row
                 for row in db.session.scalars(query.where(key.in_(page.items)).order_by(None).options(*options))}
        page.items = [found[value] for value in page.items if value in found]
    if total is not None:
        page.total = total
    return page
