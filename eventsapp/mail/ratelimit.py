"""The send rate limit (MAIL_RATE_LIMIT_PER_SECOND): one token bucket for every sender.

Mail providers cap messages per second. With a Redis broker the bucket lives in
Redis, so all workers on all machines share it; with the embedded broker (one
worker) it lives in the process. 0 means unlimited. The bucket holds at most one
second's worth of tokens, so a burst never exceeds the cap.
"""
from __future__ import annotations

import threading
import time

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


class Unlimited:
    def take(self) -> None:
        return None


class LocalBucket:
    """A token bucket for the processes of one worker (threads share it)."""

    def __init__(self, rate: float, clock=time.monotonic, sleep=time.sleep):
        self.rate, self.capacity = rate, max(1.0, rate)
        self.tokens, self.at = self.capacity, clock()
        self.clock, self.sleep = clock, sleep
        self.lock = threading.Lock()

    def take(self) -> None:
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

    def take(self) -> None:
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
