"""Import a large roll into a fresh PostgreSQL database: creating it, re-importing it unchanged, and re-importing
it with every row changed — each timed and measured (peak memory) in its own process, beside its ceiling.

The roll: FILE if given, else 100,000 rows made from ../shared/data/contacts-10k.csv (each row repeated with
its address made unique), else the demo file. "Every row changed" swaps each row's language (vi ↔ en), so every
contact is updated and every one's feeds would be marked: the heaviest update.
Ceilings (issue 25): 100,000 rows in under 15 s either way, updates as fast as creates, peak under 300 MB.
Run: .venv/bin/python bench/contacts_import.py [FILE] [--rows N] [--source contacts-10k.csv]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from contacts_support import ROOT, fresh_app

SOURCE = ROOT.parent / "shared" / "data" / "contacts-10k.csv"
DEMO = ROOT / "eventsapp" / "contacts" / "demo_contacts.csv"
CEILING_SECONDS_PER_100K = 15.0
CEILING_PEAK_MB = 300
CEILING_UPDATE_OVER_CREATE = 1.25  # "as fast as creates", with room for the machine's noise


def make_roll(rows: int, path: Path, source: Path = SOURCE) -> Path:
    """`rows` rows from the 10,000-row file, repeated with unique addresses and mobile numbers, written as
    people write them (0912 345 678), since a number is one person's (issue 26); or the demo file."""
    if not source.exists():
        return DEMO
    header, *body = source.read_text(encoding="utf-8-sig").splitlines()
    lines = [header]
    for index in range(rows):
        name, email, _phone, rest = body[index % len(body)].split(",", 3)
        round_ = index // len(body)
        number = f"091{index:07d}"
        lines.append(f"{name},{f'{round_}.' if round_ else ''}{email},{number[:4]} {number[4:7]} {number[7:]},{rest}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def swap_languages(data: bytes) -> bytes:
    return data.replace(b",vi,", b",__,").replace(b",en,", b",vi,").replace(b",__,", b",en,")


def phase(database_url: str, path: str) -> None:
    """One import in this process: prints its seconds, peak memory and counts as JSON."""
    from config import TestingConfig
    from eventsapp import create_app

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, CONTACTS_IMPORT_MAX_ROWS=1_000_000)
    with app.app_context():
        from sqlalchemy import text

        from eventsapp.associations import services as associations
        from eventsapp.contacts import importing
        from eventsapp.extensions import db
        from eventsapp.privacy.models import Basis

        extra = associations.get_by_slug("viet-nhat")
        data = Path(path).read_bytes()
        backend = db.session.scalar(text("SELECT pg_backend_pid()"))  # the import's transaction keeps it
        database_cpu = _process_cpu(backend)
        cpu = time.process_time()
        started = time.perf_counter()
        # The roll's basis, asked once, is recorded as every row's consent (issue 29): part of the measure.
        counts = importing.apply(importing.check_file(Path(path).name, data, None, extra), basis=Basis.MEMBERSHIP)
        db.session.commit()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        after = _process_cpu(backend)
        database_cpu = after - database_cpu if after is not None and database_cpu is not None else None
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    print(json.dumps({"seconds": seconds, "cpu": cpu, "database_cpu": database_cpu, "peak_mb": peak_mb,
                      "counts": counts}))


def _process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a local process (the PostgreSQL backend), None where /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_phase(database_url: str, path: Path) -> dict:
    result = subprocess.run([sys.executable, __file__, "--phase", database_url, str(path)], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "EVENTSAPP_CONFIG": "testing"})
    if result.returncode:
        raise SystemExit(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--source", type=Path, default=SOURCE, help="the file the roll is made from")
    parser.add_argument("--phase", nargs=2, metavar=("DATABASE_URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        return phase(*args.phase)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.file) if args.file else make_roll(args.rows, Path(folder) / "roll.csv", args.source)
        changed = Path(folder) / "changed.csv"
        changed.write_bytes(swap_languages(path.read_bytes()))
        with fresh_app() as app:
            from eventsapp.extensions import db

            url = db.engine.url.render_as_string(hide_password=False)
            db.session.remove()
            db.engine.dispose()  # the phases run in their own processes
            rows = path.read_text(encoding="utf-8-sig").count("\n") - 1
            ceiling = CEILING_SECONDS_PER_100K * max(rows, 1) / 100_000
            print(f"{path.name}: {rows:,} rows; machine load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            # seconds: wall clock; cpu: this process's CPU time, and its PostgreSQL backend's (db): on a busy
            # machine the wall clock grows with the load, the CPU times do not — on an idle one their sum is
            # about the wall clock.
            print(f"{'':28} {'seconds':>8} {'ceiling':>8} {'cpu s':>6} {'db cpu':>6} {'rows/s':>9} {'peak MB':>8} "
                  f"{'ceiling':>8}  counts")
            results = {}
            for label, source in (("create", path), ("re-import, unchanged", path),
                                  ("re-import, every row changed", changed)):
                result = results[label] = run_phase(url, source)
                database_cpu = "n/a" if result["database_cpu"] is None else f"{result['database_cpu']:.2f}"
                print(f"{label:28} {result['seconds']:8.2f} {ceiling:8.2f} {result['cpu']:6.2f} {database_cpu:>6} "
                      f"{rows / result['seconds']:9,.0f} "
                      f"{result['peak_mb']:8.0f} {CEILING_PEAK_MB:8}  {result['counts']}")
            ratio = results["re-import, every row changed"]["seconds"] / results["create"]["seconds"]
            print(f"update / create: {ratio:.2f}× (ceiling {CEILING_UPDATE_OVER_CREATE}×); "
                  f"machine load now {os.getloadavg()[0]:.1f}")
            del app


if __name__ == "__main__":
    main()
