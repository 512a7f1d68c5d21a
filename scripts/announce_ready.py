"""Print where to open the app once it is ready: `make run` starts it beside the processes.

    python scripts/announce_ready.py http://127.0.0.1:5000 [--timeout SECONDS]

Polls BASE/healthz until it answers "ok" (database, broker and a worker up), then prints one line and
exits 0; exits 1 with a sentence on stderr when it is not ready within the timeout.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def status_of(base: str) -> str | None:
    """The /healthz status ("ok", "starting", "down"), or None when nothing answers."""
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=3) as response:
            return json.load(response).get("status")
    except urllib.error.HTTPError as error:  # 503: starting or down, the body says which
        try:
            return json.load(error).get("status")
        except ValueError:
            return None
    except (OSError, ValueError):
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the app's address, e.g. http://127.0.0.1:5000")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait (default 300)")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    deadline = time.monotonic() + args.timeout
    last = None
    while time.monotonic() < deadline:
        last = status_of(base)
        if last == "ok":
            print(f"\n  eventsapp is ready: open {base}/ in your browser"
                  "\n  (mail goes to instance/outbox/; the demo logins are listed above)\n", flush=True)
            return 0
        time.sleep(1)
    reason = "did not answer" if last is None else f"still says {last!r}"
    print(f"eventsapp at {base} {reason} after {args.timeout:.0f} s: see the processes' output above",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
