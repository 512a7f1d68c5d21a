"""The provider's sending limits, shared by every sender.

Per second (MAIL_RATE_LIMIT_PER_SECOND): a token bucket holding at most one second's worth of tokens, so a
burst never exceeds the cap; the sender waits for a token (a second at most).

Per rolling hour, per rolling 24 hours (MAIL_LIMIT_PER_HOUR, MAIL_LIMIT_PER_DAY) and per recipient domain
and minute (MAIL_LIMIT_PER_DOMAIN_PER_MINUTE): a log of the moments messages went, one sorted set per
window, checked and written by one Lua script (atomic: two workers never both take the last place). A
message that would exceed a window is not sent: `take` raises `LimitReached` with the moment the window has
room, and the sender puts the message back in the outbox until then. The log lives in Redis, so it holds
across workers, machines and restarts; a window counts a message a second longer than its length, so the
moment it is written and the moment the provider receives it never make a window hold one too many.

With the embedded broker (one worker, development) both live in the process. 0 means no limit.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from ..broker import redis_url

# KEYS[1] = bucket; ARGV = rate per second, capacity, tokens wanted.
# Returns 0 when the tokens were taken, else the milliseconds to wait before asking again.
_TAKE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then tokens = capacity; at = now_ms end
tokens = math.min(capacity, tokens + (now_ms - at) * rate / 1000)
local wait = 0
if tokens >= wanted then
  tokens = tokens - wanted
else
  wait = math.ceil((wanted - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now_ms)
redis.call('PEXPIRE', KEYS[1], 60000)
return wait
"""

REDIS_KEY = "eventsapp:mail:rate"

# KEYS = one sorted set per window; ARGV[1] = now (ms), ARGV[2] = this message's member, then for each key
# its length (ms) and cap. Returns {0, 0, moment written} when the message was written into every window,
# else {the milliseconds until the fullest window has room, the index of that window, now}. "Now" is never
# earlier than the latest moment already written: two senders whose clocks were read a moment apart (or
# a clock set back) cannot let a later message into a window an earlier one has left.
_WINDOWS = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local latest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if latest[2] and tonumber(latest[2]) > now then now = tonumber(latest[2]) end
end
local wait, which = 0, 0
for i, key in ipairs(KEYS) do
  local length = tonumber(ARGV[1 + 2 * i])
  local cap = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - length)
  local count = redis.call('ZCARD', key)
  if count >= cap then
    local freeing = redis.call('ZRANGE', key, count - cap, count - cap, 'WITHSCORES')
    local until_room = tonumber(freeing[2]) + length - now
    if until_room > wait then wait = until_room; which = i end
  end
end
if wait > 0 then return {wait, which, now} end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, tonumber(ARGV[1 + 2 * i]) + 60000)
end
return {0, 0, now}
"""

# A window counts each message this much longer than its length (see the module's docstring).
MARGIN = timedelta(seconds=1)


class LimitReached(Exception):
    """A window is full: the message waits until `until` (aware UTC); `scope` is "hour", "day" or "domain"."""

    def __init__(self, scope: str, until: datetime, cap: int):
        self.scope, self.until, self.cap = scope, until, cap
        super().__init__(f"sending limit reached ({cap} per {scope}); waiting until {until.isoformat()}")


@dataclass(frozen=True)
class Window:
    scope: str  # "hour", "day", "domain"
    length: timedelta
    cap: int


def configured_windows(config) -> list[Window]:
    """The windows the configuration sets (a cap of 0 sets none)."""
    windows = [Window("hour", timedelta(hours=1), int(config.get("MAIL_LIMIT_PER_HOUR") or 0)),
               Window("day", timedelta(hours=24), int(config.get("MAIL_LIMIT_PER_DAY") or 0)),
               Window("domain", timedelta(minutes=1), int(config.get("MAIL_LIMIT_PER_DOMAIN_PER_MINUTE") or 0))]
    return [window for window in windows if window.cap > 0]


def _now() -> datetime:
    from ..timeutils import utcnow  # the app's clock (tests travel in time with it)

    return utcnow()


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class RedisWindows:
    """The rolling windows in Redis, shared by every worker."""

    def __init__(self, url: str, windows: list[Window], prefix: str, clock=_now):
        import redis

        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(_WINDOWS)
        self.windows, self.prefix, self.clock = windows, prefix, clock

    def _keys(self, domain: str) -> list[tuple[Window, str]]:
        keys = []
        for window in self.windows:
            if window.scope != "domain":
                keys.append((window, f"{self.prefix}:{window.scope}"))
            elif domain:
                keys.append((window, f"{self.prefix}:domain:{domain}"))
        return keys

    def take(self, domain: str = "") -> datetime | None:
        """Write one message into every window and return the moment written, or raise LimitReached
        (nothing written)."""
        keys = self._keys(domain.lower())
        if not keys:
            return None
        now = self.clock()
        args = [_ms(now), f"{_ms(now)}:{uuid.uuid4().hex}"]
        for window, _key in keys:
            args += [int((window.length + MARGIN).total_seconds() * 1000), window.cap]
        wait_ms, which, written_ms = (int(n) for n in self.script(keys=[key for _w, key in keys], args=args))
        written = datetime.fromtimestamp(written_ms / 1000, now.tzinfo)
        if wait_ms > 0:
            window = keys[which - 1][0]
            raise LimitReached(window.scope, written + timedelta(milliseconds=wait_ms), window.cap)
        return written

    def full_until(self) -> datetime | None:
        """When the hour and day windows (those every message counts in) have room again; None: they have."""
        now, latest = self.clock(), None
        for window, key in self._keys(""):
            length = window.length + MARGIN
            self.client.zremrangebyscore(key, "-inf", _ms(now - length))
            count = self.client.zcard(key)
            if count >= window.cap:
                freeing = self.client.zrange(key, count - window.cap, count - window.cap, withscores=True)
                until = datetime.fromtimestamp(freeing[0][1] / 1000, now.tzinfo) + length
                latest = until if latest is None else max(latest, until)
        return latest

    def used(self) -> dict[str, int]:
        """How many messages each of the hour and day windows holds now."""
        now, counts = self.clock(), {}
        for window, key in self._keys(""):
            counts[window.scope] = int(self.client.zcount(key, _ms(now - window.length - MARGIN) + 1, "+inf"))
        return counts


class LocalWindows:
    """The same windows in the process (the embedded broker's one worker)."""

    def __init__(self, windows: list[Window], clock=_now):
        self.windows, self.clock = windows, clock
        self.sent: dict[str, deque] = {}
        self.lock = threading.Lock()

    def _keys(self, domain: str) -> list[tuple[Window, str]]:
        return [(w, w.scope if w.scope != "domain" else f"domain:{domain}")
                for w in self.windows if w.scope != "domain" or domain]

    def _until(self, window: Window, log: deque, now: datetime) -> datetime | None:
        length = window.length + MARGIN
        while log and log[0] <= now - length:
            log.popleft()
        return log[len(log) - window.cap] + length if len(log) >= window.cap else None

    def take(self, domain: str = "") -> None:
        with self.lock:
            now, keys = self.clock(), self._keys(domain.lower())
            for window, key in keys:
                until = self._until(window, self.sent.setdefault(key, deque()), now)
                if until is not None:
                    raise LimitReached(window.scope, until, window.cap)
            for _window, key in keys:
                self.sent[key].append(now)

    def full_until(self) -> datetime | None:
        with self.lock:
            now = self.clock()
            found = [self._until(w, self.sent.setdefault(k, deque()), now) for w, k in self._keys("")]
            return max((until for until in found if until is not None), default=None)

    def used(self) -> dict[str, int]:
        with self.lock:
            now = self.clock()
            return {w.scope: sum(1 for m in self.sent.get(k, ()) if m > now - w.length - MARGIN)
                    for w, k in self._keys("")}


class NoWindows:
    def take(self, domain: str = "") -> None:
        return None

    def full_until(self) -> datetime | None:
        return None

    def used(self) -> dict[str, int]:
        return {}


class Limits:
    """Every limit in one: `take(domain)` waits for the per-second bucket, then writes the message into the
    windows or raises LimitReached."""

    def __init__(self, bucket, windows):
        self.bucket, self.windows = bucket, windows

    def take(self, domain: str = "") -> None:
        self.bucket.take()
        self.windows.take(domain)


class Unlimited:
    def take(self, domain: str = "") -> None:
        return None


class LocalBucket:
    """A token bucket for the processes of one worker (threads share it)."""

    def __init__(self, rate: float, clock=time.monotonic, sleep=time.sleep):
        self.rate, self.capacity = rate, max(1.0, rate)
        self.tokens, self.at = self.capacity, clock()
        self.clock, self.sleep = clock, sleep
        self.lock = threading.Lock()

    def take(self, domain: str = "") -> None:
        while True:
            with self.lock:
                now = self.clock()
                self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
                self.at = now
                if self.tokens >= 1 - 1e-9:  # (float rounding after an exact wait)
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            self.sleep(wait)


class RedisBucket:
    """The same bucket in Redis (atomic Lua script), shared by every worker."""

    def __init__(self, url: str, rate: float, key: str = REDIS_KEY, sleep=time.sleep):
        import redis

        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(_TAKE)
        self.rate, self.capacity, self.key, self.sleep = rate, max(1.0, rate), key, sleep

    def take(self, domain: str = "") -> None:
        while True:
            wait_ms = int(self.script(keys=[self.key], args=[self.rate, self.capacity, 1]))
            if wait_ms <= 0:
                return
            self.sleep(wait_ms / 1000)


_local: dict[float, LocalBucket] = {}


def bucket():
    """The limiter configured for the current app."""
    rate = float(current_app.config.get("MAIL_RATE_LIMIT_PER_SECOND") or 0)
    if rate <= 0:
        return Unlimited()
    url = redis_url(current_app.config)
    if url:
        return RedisBucket(url, rate)
    return _local.setdefault(rate, LocalBucket(rate))


_local_windows: dict[tuple, LocalWindows] = {}
_redis_windows: dict[tuple, RedisWindows] = {}  # one client (and connection pool) per configuration


def windows():
    """The rolling windows configured for the current app (hour, day, domain)."""
    found = configured_windows(current_app.config)
    if not found:
        return NoWindows()
    url = redis_url(current_app.config)
    if url:
        prefix = current_app.config.get("MAIL_LIMIT_KEY") or "eventsapp:mail:sent"
        key = (url, prefix, tuple(found))
        if key not in _redis_windows:
            _redis_windows[key] = RedisWindows(url, found, prefix)
        return _redis_windows[key]
    return _local_windows.setdefault(tuple(found), LocalWindows(found))


def limiter() -> Limits:
    """Every limit configured for the current app, for a sender."""
    return Limits(bucket(), windows())
