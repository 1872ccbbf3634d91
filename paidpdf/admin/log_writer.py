"""`serve`'s log lines (the access log: one per request) reach stderr through one writer thread.

A request thread only makes its record and queues it. Written by the request threads themselves, each
line held the handler's lock across a write(), which lets go of the GIL: the other threads then queued
on that lock, and its holder waited for the GIL to come back, so under load half of a catalog request's
cost was its log line (measured, docs/web.md "Serving speed").

The queue is bounded (`CAPACITY` lines): a reader of stderr that stopped reading (a full pipe) must
neither stall requests nor grow the process without end. A line that finds the queue full is counted,
not queued, and the writer says how many it missed once it catches up. Stopping (`stop`, on SIGTERM
and Ctrl-C) writes every line still queued before it returns: lines are flushed, not dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
from logging.handlers import QueueHandler, QueueListener

#: Lines waiting for the writer; ~2 s of a busy server's access log, a few MB at most.
CAPACITY = 10_000


class _BoundedQueueHandler(QueueHandler):
    """Queues without waiting; a full queue counts the line instead (reported by the writer)."""

    def __init__(self, lines: queue.Queue[logging.LogRecord | None]) -> None:
        super().__init__(lines)
        self.missed = 0
        self._missed_lock = threading.Lock()

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            with self._missed_lock:
                self.missed += 1

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record  # formatted by the writer's handlers, off the request's thread

    def take_missed(self) -> int:
        with self._missed_lock:
            missed, self.missed = self.missed, 0
        return missed


class LogWriter:
    """The writer thread and the handler in front of it; `stop()` writes what is queued, then ends."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        root = logging.getLogger()
        self._handlers = list(root.handlers)
        self.lines: queue.Queue[logging.LogRecord | None] = queue.Queue(capacity)
        self.front = _BoundedQueueHandler(self.lines)
        self._listener = _Listener(self.lines, self.front, *self._handlers)
        self._listener.start()
        for handler in self._handlers:
            root.removeHandler(handler)
        root.addHandler(self.front)

    def stop(self) -> None:
        """Put the handlers back (later lines are written directly) and write every queued line."""
        root = logging.getLogger()
        root.removeHandler(self.front)
        for handler in self._handlers:
            root.addHandler(handler)
        self.lines.put(None)  # blocks only until the writer made room: every line before it is written
        self._listener.join()


class _Listener(QueueListener):
    """A `QueueListener` whose end is a `None` in the queue (waited for, never dropped) and which
    reports lines the full queue could not take."""

    def __init__(self, lines: queue.Queue[logging.LogRecord | None], front: _BoundedQueueHandler,
                 *handlers: logging.Handler) -> None:
        super().__init__(lines, *handlers, respect_handler_level=False)
        self._front = front
        self._thread_ref: threading.Thread | None = None

    def start(self) -> None:
        self._thread_ref = threading.Thread(target=self._write, name="paidpdf-log", daemon=True)
        self._thread_ref.start()

    def join(self) -> None:
        if self._thread_ref is not None:
            self._thread_ref.join()

    def _write(self) -> None:
        while True:
            record = self.queue.get()
            if record is None:
                self._report_missed()
                return
            self.handle(record)
            if self.queue.empty():
                self._report_missed()

    def _report_missed(self) -> None:
        missed = self._front.take_missed()
        if missed:
            note = logging.LogRecord(
                "paidpdf.serve", logging.WARNING, __file__, 0,
                "%d log lines were not written (stderr was not read fast enough)", (missed,), None,
            )
            self.handle(note)
