"""A thread-safe mapping bounded by the bytes of what it holds, least recently used first out.

The site keeps pages (`page_cache`), whole answers (`front_cache`) and encoded pages (`page_encoding`)
in memory; each must stay within a memory budget however many visitors, pages or languages come, and
a page size varies (a shop with long descriptions keeps fewer pages, not more memory). Each cache
says what a value weighs; this one place counts, evicts and locks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class ByteLRU(Generic[V]):
    """`{key: value}` holding at most `limit` bytes as `weight(value)` counts them (but always the
    newest value, however heavy); `get` makes a key the most recently used."""

    def __init__(self, limit: int, weight: Callable[[V], int]) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._weight = weight
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._bytes = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
            return found

    def put(self, key: Hashable, value: V) -> None:
        """Keep `value` under `key` (replacing what was there), then drop the least recently used
        until the bytes fit."""
        with self._lock:
            old = self._values.pop(key, None)
            if old is not None:
                self._bytes -= self._weight(old)
            self._values[key] = value
            self._bytes += self._weight(value)
            while self._bytes > self._limit and len(self._values) > 1:
                self._bytes -= self._weight(self._values.popitem(last=False)[1])

    def discard(self, key: Hashable, value: V) -> None:
        """Drop `key` if it still holds this very `value` (not one another thread kept since)."""
        with self._lock:
            if self._values.get(key) is value:
                del self._values[key]
                self._bytes -= self._weight(value)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._bytes = 0

    def in_order(self) -> list[Hashable]:
        """The keys, least recently used first."""
        with self._lock:
            return list(self._values)

    def items(self) -> list[tuple[Hashable, V]]:
        """The keys and values, least recently used first (none of them marked used)."""
        with self._lock:
            return list(self._values.items())

    def size(self) -> tuple[int, int]:
        """(values, bytes) kept now."""
        with self._lock:
            return len(self._values), self._bytes
