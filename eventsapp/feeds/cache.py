"""Per-process caches for serving feeds: representations by ETag, and short-lived lookups of public feed URLs."""
from __future__ import annotations

import gzip
import threading
import time
from collections import OrderedDict
from datetime import datetime

from werkzeug.http import http_date


class Representation:
    """One stored feed body as it is served: the plain bytes, their gzip form, and header values.

    A body never changes for a given ETag, so a representation is built once
    per ETag and process, and every request only picks from it.
    """

    def __init__(self, feed_id: int, etag: str, last_modified: datetime | None, body: bytes):
        self.feed_id, self.etag, self.body = feed_id, etag, body
        self.last_modified = last_modified
        self.http_last_modified = http_date(last_modified) if last_modified else None
        self._gzipped: bytes | None = None

    @property
    def gzipped(self) -> bytes:
        """The gzip form, compressed on first use (deterministic: no time stamp in the header)."""
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped

    @property
    def size(self) -> int:
        return len(self.body) + len(self._gzipped or b"")


class RepresentationCache:
    """Representations by feed id (one ETag each), least recently used dropped past `max_bytes`."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self.items: OrderedDict[int, Representation] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, feed_id: int, etag: str) -> Representation | None:
        with self.lock:
            item = self.items.get(feed_id)
            if item is None or item.etag != etag:
                return None
            self.items.move_to_end(feed_id)
            return item

    def put(self, representation: Representation) -> Representation:
        with self.lock:
            self.items.pop(representation.feed_id, None)
            self.items[representation.feed_id] = representation
            self._shrink()
        return representation

    def _shrink(self) -> None:
        # Sizes are summed here rather than kept as a running total: the gzip
        # form joins a representation after it was put.
        size = sum(item.size for item in self.items.values())
        while size > self.max_bytes and len(self.items) > 1:
            _, dropped = self.items.popitem(last=False)
            size -= dropped.size

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


representations = RepresentationCache()


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
