"""Import ../shared/data/contacts-10k.csv (beside the repository, or the file given) into a fresh PostgreSQL database.

Prints the dry-run time, the import time and rows/s, then the time of a second
import of the same file (every row unchanged) and of one where every row changes.
Run: .venv/bin/python bench/contacts_import.py [FILE]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from contacts_support import ROOT, fresh_app

DEFAULT = ROOT.parent / "shared" / "data" / "contacts-10k.csv"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not path.exists():
        path = ROOT / "eventsapp" / "contacts" / "demo_contacts.csv"
    data = path.read_bytes()
    with fresh_app():
        from sqlalchemy import func, select

        from eventsapp.associations import services as associations
        from eventsapp.contacts import importing
        from eventsapp.contacts.models import Contact
        from eventsapp.extensions import db

        extra = associations.get_by_slug("viet-nhat")

        started = time.perf_counter()
        result = importing.check_file(path.name, data, None, extra)
        dry = time.perf_counter() - started
        db.session.rollback()
        rows = len(result.rows)
        print(f"{path.name}: {rows} rows, {result.counts}")
        print(f"dry run (parse + check):   {dry:6.2f} s  ({rows / dry:,.0f} rows/s)")

        started = time.perf_counter()
        result = importing.check_file(path.name, data, None, extra)
        counts = importing.apply(result)
        db.session.commit()
        took = time.perf_counter() - started
        total = db.session.scalar(select(func.count()).select_from(Contact))
        print(f"import (parse+check+write): {took:6.2f} s  ({rows / took:,.0f} rows/s)  {counts}, {total} in table")

        started = time.perf_counter()
        counts = importing.apply(importing.check_file(path.name, data, None, extra))
        db.session.commit()
        print(f"re-import, unchanged:      {time.perf_counter() - started:6.2f} s  {counts}")

        changed = data.decode("utf-8-sig").replace(",vi,", ",en,").encode()
        started = time.perf_counter()
        counts = importing.apply(importing.check_file(path.name, changed, None, extra))
        db.session.commit()
        print(f"re-import, rows changed:   {time.perf_counter() - started:6.2f} s  {counts}")


if __name__ == "__main__":
    main()
