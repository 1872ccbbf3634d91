"""`serve`'s log lines (the access log: one per request) reach stderr through one writer thread.

A request thread only queues its line. Written by the request threads themselves, each line held the
handler's lock across a write(), which lets go of the GIL: the other threads then queued on that lock,
and its holder waited for the GIL to come back, so under load half of a catalog request's cost was its
log line (measured, docs/web.md "Serving speed"). Even making the `LogRecord` cost a request a tenth of
a catalog page, so an access line is queued as its bare arguments (`access_log.sink`) and the writer
makes the record; other log lines are queued as records.

The queue is bounded (`CAPACITY` lines, checked before each put; a C `SimpleQueue`, no lock shared
with the writer): a reader of stderr that stopped reading (a full pipe) must neither stall requests
nor grow the process without end. A line that finds the queue full is counted, not queued, and the
writer says how many it missed once it catches up. Stopping (`stop`, on SIGTERM and Ctrl-C) writes
every line still queued before it returns: lines are flushed, not dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from paidpdf.web import access_log

#: Lines waiting for the writer; ~2 s of a busy server's access log, a few MB at most.
CAPACITY = 10_000

_Line = logging.LogRecord | tuple[float, tuple[Any, ...]] | None


class LogWriter:
    """The writer thread and the handler in front of it; `stop()` writes what is queued, then ends."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        root = logging.getLogger()
        self.capacity = capacity
        self.handlers = list(root.handlers)
        self.lines: queue.SimpleQueue[_Line] = queue.SimpleQueue()
        self.missed = 0  # only a count; a lost increment under a race is a lost count, not a lost line
        self.front = _QueueFront(self)
        self._thread = threading.Thread(target=self._write, name="paidpdf-log", daemon=True)
        self._thread.start()
        for handler in self.handlers:
            root.removeHandler(handler)
        root.addHandler(self.front)
        access_log.sink = self.access

    def put(self, line: _Line) -> None:
        if self.lines.qsize() >= self.capacity:
            self.missed += 1
        else:
            self.lines.put(line)

    def access(self, args: tuple[Any, ...]) -> None:
        """An access-log line, as the arguments of `access_log.LINE`; stamped now, made into a record
        by the writer."""
        self.put((time.time(), args))

    def stop(self) -> None:
        """Put the handlers back (later lines are written directly) and write every queued line."""
        access_log.sink = None
        root = logging.getLogger()
        root.removeHandler(self.front)
        for handler in self.handlers:
            root.addHandler(handler)
        self.lines.put(None)  # after every line already queued
        self._thread.join()

    def _write(self) -> None:
        while True:
            line = self.lines.get()
            if line is None:
                self._report_missed()
                return
            if isinstance(line, tuple):
                created, args = line
                record = access_log.access_log.makeRecord(
                    access_log.access_log.name, logging.INFO, __file__, 0, access_log.LINE, args, None
                )
                record.created = created
                record.msecs = (created - int(created)) * 1000
                line = record
            self._handle(line)
            if self.lines.empty():
                self._report_missed()

    def _handle(self, record: logging.LogRecord) -> None:
        for handler in self.handlers:
            if record.levelno >= handler.level:
                handler.handle(record)

    def _report_missed(self) -> None:
        missed, self.missed = self.missed, 0
        if missed:
            self._handle(logging.LogRecord(
                "paidpdf.serve", logging.WARNING, __file__, 0,
                "%d log lines were not written (stderr was not read fast enough)", (missed,), None,
            ))


class _QueueFront(logging.Handler):
    """The root logger's only handler while the writer runs: queues the record as it is."""

    def __init__(self, writer: LogWriter) -> None:
        super().__init__()
        self._writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        self._writer.put(record)
