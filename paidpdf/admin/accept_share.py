"""Spreading connections over `serve --workers`: a worker accepts only while it holds no more than one
connection more than the least loaded worker.

All workers poll the one listening socket, and the kernel wakes every one of them for each new
connection; whichever calls accept() first gets it. Measured, that gave one worker all 32 of wrk's
keep-alive connections and the other none (so two workers served like one). Each worker now writes how
many connections it holds into its slot of a small shared memory block (a memfd the supervisor makes and
hands to every worker), and its listener is readable only while its count is at most the fewest +
`SLACK` + a quarter of the fewest. The least loaded worker accepts, and one that holds back looks again
within `HOLD_BACK_TURN`, so a connection waits at most a few milliseconds for its turn; a stopping
worker, and the slot of one that ended, read as `NOT_ACCEPTING`.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Callable
from typing import Any

#: Connections a worker may hold beyond the fewest (plus a quarter of the fewest): flips between
#: workers stay rare, and so do the short turns of a worker that holds back.
SLACK = 2
#: poll() timeout of a worker that holds back (seconds).
HOLD_BACK_TURN = 0.005
NOT_ACCEPTING = 2**31 - 1
_SLOT = struct.Struct("i")


class AcceptShare:
    """`slots` counters in shared memory; made by the supervisor (`create`), opened by the workers."""

    def __init__(self, fd: int, slots: int) -> None:
        self.fd = fd
        self.slots = slots
        self._memory = mmap.mmap(fd, _SLOT.size * slots)
        self._all = struct.Struct(f"{slots}i")

    @classmethod
    def create(cls, slots: int) -> AcceptShare:
        fd = os.memfd_create("paidpdf-accept-share", 0)
        os.ftruncate(fd, _SLOT.size * slots)
        share = cls(fd, slots)
        for slot in range(slots):
            share.set(slot, NOT_ACCEPTING)
        return share

    def set(self, slot: int, connections: int) -> None:
        _SLOT.pack_into(self._memory, slot * _SLOT.size, connections)

    def fewest(self) -> int:
        return min(self._all.unpack_from(self._memory))


def balance(server: Any, share: AcceptShare, slot: int) -> Callable[..., bool]:
    """Make `server`'s listener take part; returns the function the I/O loop calls before each turn to
    publish this worker's count (connections: the socket map less the listener and the trigger). It
    returns True when this worker holds back: its next poll() will not watch the listener, so it must
    look again soon (`HOLD_BACK_TURN`), not after a whole idle turn, or connections would wait for the
    turns of the workers that may take them."""
    channels = server._map  # waitress's socket map
    readable = server.readable

    def holding_back() -> bool:
        fewest = share.fewest()
        return len(channels) - 2 > fewest + SLACK + fewest // 4

    def balanced() -> bool:
        return bool(readable()) and not holding_back()

    server.readable = balanced

    def publish(stopping: bool = False) -> bool:
        share.set(slot, NOT_ACCEPTING if stopping else len(channels) - 2)
        return not stopping and holding_back()

    publish()
    return publish
