"""A small per-process cache for hot paths, keyed by the versions of what it holds.

A value is stored under a key that names every version (`updated_at`) it was built from, so a stale
value is never returned: an edit changes a version, the next read asks for a new key, misses, and
builds afresh; every process does the same on its own next read (no message between processes is
needed). Entries of superseded versions are simply never asked for again and leave as the least
recently used when the cache is full. Values must be immutable (frozen snapshots, Markup, bytes):
they are shared by every thread of the process.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class VersionedCache(Generic[V]):
    """At most `max_items` values, least recently used dropped first."""

    def __init__(self, max_items: int):
        self.max_items = max_items
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], V | None]) -> V | None:
        """The value for `key`, built by `build()` on a miss (a None result is not stored)."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
                return value
        value = build()  # outside the lock: a slow build never holds up other readers
        if value is not None:
            with self._lock:
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.max_items:
                    self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
