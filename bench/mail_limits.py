"""Benchmark: 5,000 messages against a provider's caps below that, from four sender processes sharing the
limits in Redis (eventsapp.mail.ratelimit, the workers' own code): the exact count in every window.

Time runs 3,600 times faster (a simulated hour is one real second, a day 24 seconds): each process reads
the same simulated clock, and the windows are the product's (hour, 24 hours, one minute per domain) at
their real lengths on that clock. Each process takes messages from one shared counter, asks the limiter
for a place, and when a window is full waits (as the outbox does) until the moment the limiter names.
Every message that got its place is logged with the simulated moment it was given (at this speed, the few
milliseconds before the log is written would be many simulated seconds); the figures are computed from that
log: messages per simulated day and hour, and the most in any rolling hour, rolling
24 hours and rolling minute to one domain — each must be at most its cap.

    .venv/bin/python bench/mail_limits.py [--count 5000] [--per-day 2000] [--per-hour 120]
        [--per-domain 1] [--processes 4] [--redis-db 3]

Needs Redis on 127.0.0.1:6379 (keys under a fresh prefix, deleted afterwards). Takes about a minute.
"""
from __future__ import annotations

import argparse
import bisect
import multiprocessing
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPEED = 3600  # simulated seconds per real second
T0 = datetime(2027, 1, 4, 0, 0, tzinfo=timezone.utc)
DOMAINS = ["gmail.com", "yahoo.co.jp", "seznam.cz", "web.de", "outlook.com", "example.vn"]


def simulated_clock(started: float):
    return lambda: T0 + timedelta(seconds=(time.time() - started) * SPEED)


def sender(url: str, prefix: str, started: float, args, log) -> None:
    import redis

    from eventsapp.mail.ratelimit import LimitReached, RedisWindows, Window

    windows = RedisWindows(url, [Window("hour", timedelta(hours=1), args.per_hour),
                                 Window("day", timedelta(hours=24), args.per_day),
                                 Window("domain", timedelta(minutes=1), args.per_domain)],
                           prefix, clock=simulated_clock(started))
    counter = redis.Redis.from_url(url)
    sent = []
    while (number := counter.incr(f"{prefix}:next")) <= args.count:
        # Six in ten to one big provider: its per-domain cap binds as well as the hour and the day.
        domain = DOMAINS[0] if number % 10 < 6 else DOMAINS[1 + number % (len(DOMAINS) - 1)]
        while True:
            try:
                granted = windows.take(domain)
            except LimitReached as full:  # wait, as a deferred outbox row does, until the window has room
                time.sleep(max(0.0, (full.until - windows.clock()).total_seconds() / SPEED))
                continue
            sent.append((granted.timestamp(), domain))  # the moment the place was given (then it is sent)
            break
    log.put(sent)


def most_in_window(moments: list[float], length: float) -> int:
    """The most log entries within any window [t, t + length) starting at an entry."""
    return max((bisect.bisect_left(moments, start + length) - index for index, start in enumerate(moments)),
               default=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--per-hour", type=int, default=120)
    parser.add_argument("--per-domain", type=int, default=1)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--redis-db", type=int, default=3)
    args = parser.parse_args()
    import redis

    url = f"redis://127.0.0.1:6379/{args.redis_db}"
    prefix = f"bench:limits:{uuid.uuid4().hex}"
    started = time.time() + 0.5
    log = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=sender, args=(url, prefix, started, args, log))
                 for _ in range(args.processes)]
    for process in processes:
        process.start()
    entries = sorted(entry for _ in processes for entry in log.get())
    for process in processes:
        process.join()
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    real = time.time() - started
    moments = [moment for moment, _domain in entries]
    print(f"{len(entries)} messages from {args.processes} processes in {real:.0f} s real "
          f"({real * SPEED / 3600:.1f} simulated hours); caps: {args.per_day} per 24 h, {args.per_hour} per hour, "
          f"{args.per_domain} per minute to one domain")
    by_day = Counter(int((moment - T0.timestamp()) // 86400) for moment in moments)
    for day in sorted(by_day):
        print(f"  day {day + 1}: {by_day[day]} messages")
    by_hour = Counter(int((moment - T0.timestamp()) // 3600) for moment in moments)
    print(f"  per clock hour: most {max(by_hour.values())}, hours with any {len(by_hour)}")
    rolling_day = most_in_window(moments, 86400)
    rolling_hour = most_in_window(moments, 3600)
    rolling_domain = max(most_in_window([m for m, d in entries if d == domain], 60) for domain in DOMAINS)
    print(f"  most in any rolling 24 hours: {rolling_day} (cap {args.per_day})")
    print(f"  most in any rolling hour: {rolling_hour} (cap {args.per_hour})")
    print(f"  most to one domain in any rolling minute: {rolling_domain} (cap {args.per_domain})")
    exceeded = rolling_day > args.per_day or rolling_hour > args.per_hour or rolling_domain > args.per_domain
    print("  a cap exceeded: " + ("YES" if exceeded else "no") + f"; all {args.count} sent: "
          + ("yes" if len(entries) == args.count else f"NO ({len(entries)})"))
    if exceeded or len(entries) != args.count:
        sys.exit(1)


if __name__ == "__main__":
    main()
