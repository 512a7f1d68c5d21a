"""Per-process caches for serving feeds: bodies by ETag, and short-lived lookups of public feed URLs."""
from __future__ import annotations

import gzip
import threading
import time
from collections import OrderedDict


class BodyCache:
    """Feed bodies by (feed id, ETag), least recently used dropped past `max_bytes`."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[int, tuple[str, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, feed_id: int, etag: str) -> bytes | None:
        with self.lock:
            item = self.items.get(feed_id)
            if item is None or item[0] != etag:
                return None
            self.items.move_to_end(feed_id)
            return item[1]

    def gzipped(self, feed_id: int, etag: str, body: bytes) -> bytes:
        """The gzip form of a cached body, compressed once per ETag and process."""
        key = -feed_id  # stored beside the plain body under the negative id
        found = self.get(key, etag)
        if found is None:
            found = gzip.compress(body, compresslevel=6, mtime=0)
            self.put(key, etag, found)
        return found

    def put(self, feed_id: int, etag: str, body: bytes) -> None:
        with self.lock:
            old = self.items.pop(feed_id, None)
            if old is not None:
                self.size -= len(old[1])
            self.items[feed_id] = (etag, body)
            self.size += len(body)
            while self.size > self.max_bytes and len(self.items) > 1:
                _, (_, dropped) = self.items.popitem(last=False)
                self.size -= len(dropped)


bodies = BodyCache()


class LookupCache:
    """Public feeds only: what a URL resolved to, for a couple of seconds.

    Public feeds are declared cacheable by anyone for 5 minutes (Cache-Control)
    and are rebuilt a few seconds after a change anyway, so answering from a
    lookup up to LOOKUP_TTL old changes nothing a subscriber can see, and spares
    the database a round trip per poll. Private and personal feeds are looked up
    on every request, so that a revoked token answers 404 at once.
    """

    def __init__(self, ttl: float = 2.0, max_items: int = 10_000):
        self.ttl, self.max_items = ttl, max_items
        self.items: dict[tuple, tuple[float, object]] = {}

    def get(self, key: tuple):
        item = self.items.get(key)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]

    def put(self, key: tuple, row) -> None:
        if len(self.items) >= self.max_items:
            self.items.clear()
        self.items[key] = (time.monotonic() + self.ttl, row)

    def clear(self) -> None:
        self.items.clear()


lookups = LookupCache()
