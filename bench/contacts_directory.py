"""The directory at 100,000 contacts: keyset pages stay as fast deep in the list as on page 1.

Loads 100,000 generated contacts (through the importer) into a fresh PostgreSQL
database, then times the first page, a page 90,000 contacts in (by cursor), a
search, and the same for an organiser whose view is limited by association.
Run: .venv/bin/python bench/contacts_directory.py [N]
"""
from __future__ import annotations

import random
import sys
import time

from contacts_support import SLUGS, fresh_app

FAMILY = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()
MIDDLE = "Văn Thị Hữu Đức Minh Thu Ngọc Quang Gia Kim Xuân".split()
GIVEN = "An Anh Ánh Ăn Bình Châu Cường Dũng Đức Giang Hà Hải Hạnh Hoa Hùng Lan Long Mai Nam Phương Quân Thủy Yến".split()


def timed(label: str, function, repeat: int = 5):
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<48} {best * 1000:8.1f} ms")
    return value


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rnd = random.Random(7)
    lines = ["Họ và tên,Email,Múi giờ,Ngôn ngữ,Hội"]
    for i in range(count):
        name = f"{rnd.choice(FAMILY)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)}"
        lines.append(f"{name},p{i}@example.vn,Asia/Ho_Chi_Minh,vi,{rnd.choice(SLUGS)}")
    data = "\n".join(lines).encode()
    with fresh_app() as app:
        from sqlalchemy import text

        from eventsapp.associations import services as associations
        from eventsapp.associations.models import Role
        from eventsapp.auth import services as accounts
        from eventsapp.contacts import importing, services
        from eventsapp.extensions import db

        app.config["CONTACTS_IMPORT_MAX_ROWS"] = count
        started = time.perf_counter()
        importing.apply(importing.check_file("generated.csv", data, None))
        db.session.commit()
        print(f"loaded {count:,} contacts in {time.perf_counter() - started:.1f} s")
        db.session.execute(text("ANALYZE"))
        admin = accounts.create_user("admin@bench.vn", "bench-password-1", is_admin=True)
        organiser = accounts.create_user("organiser@bench.vn", "bench-password-1")
        associations.grant(organiser, associations.get_by_slug("viet-nhat"), Role.ORGANISER)
        db.session.commit()

        everyone = services.DirectoryFilter()
        for label, user in (("admin", admin), ("organiser (one association of nine)", organiser)):
            print(f"-- {label}")
            rows, cursor = timed("first page (50)", lambda: services.page(user, everyone))
            # Walk to a cursor deep in the list (by key, as the pages do) without timing the walk.
            deep = db.session.execute(services.directory_query(user, everyone).offset(
                int(services.count(user, everyone) * 0.9)).limit(1)).scalar_one()
            deep_cursor = services.encode_cursor(deep)
            timed("page 90% into the list (keyset cursor)", lambda: services.page(user, everyone, deep_cursor))
            search = services.DirectoryFilter(q="nguyen van an")
            timed("search 'nguyen van an', first page", lambda: services.page(user, search))
            timed("count for the heading", lambda: services.count(user, everyone))
            timed("same deep page by OFFSET (what keyset avoids)", lambda: db.session.execute(
                services.directory_query(user, everyone).offset(int(count * 0.9) // (9 if user is organiser else 1))
                .limit(50)).all())


if __name__ == "__main__":
    main()
