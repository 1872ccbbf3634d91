"""`serve`'s log lines (the access log: one per request) reach stderr through one writer thread.

A request thread only queues its line. Written by the request threads themselves, each line held the
handler's lock across a write(), which lets go of the GIL: the other threads then queued on that lock,
and its holder waited for the GIL to come back, so under load half of a catalog request's cost was its
log line (measured, docs/web.md "Serving speed"). Even making the `LogRecord` cost a request a tenth of
a catalog page, so an access line is queued as its bare arguments (`access_log.sink`) and the writer
makes the record; other log lines are queued as records.

The writer does not wait on the queue: it wakes every `PERIOD` seconds and writes what came, so a
request thread's line is an `append` to a deque that wakes no one (a queue whose `put` woke the writer
for every line still cost a logged-in item page 8% of its GIL time, py-spy). The queue is bounded
(`CAPACITY` lines, checked before each append): a reader of stderr that stopped reading (a full pipe)
must neither stall requests nor grow the process without end. A line that finds the queue full is
counted, not queued, and the writer says how many it missed once it catches up. Stopping (`stop`, on
SIGTERM and Ctrl-C) writes every line still queued before it returns: lines are flushed, not dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from paidpdf.web import access_log

#: Lines waiting for the writer; many times what a busy server logs in a `PERIOD`, a few MB at most.
CAPACITY = 10_000
#: Seconds between the writer's turns (log lines reach stderr at most this late).
PERIOD = 0.05

_Line = logging.LogRecord | tuple[float, tuple[Any, ...]]


class LogWriter:
    """The writer thread and the handler in front of it; `stop()` writes what is queued, then ends."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        root = logging.getLogger()
        self.capacity = capacity
        self.handlers = list(root.handlers)
        self.lines: deque[_Line] = deque()
        self._stopping = threading.Event()
        self.missed = 0  # only a count; a lost increment under a race is a lost count, not a lost line
        self.front = _QueueFront(self)
        self._thread = threading.Thread(target=self._write, name="paidpdf-log", daemon=True)
        self._thread.start()
        for handler in self.handlers:
            root.removeHandler(handler)
        root.addHandler(self.front)
        access_log.sink = self.access

    def put(self, line: _Line) -> None:
        if len(self.lines) >= self.capacity:
            self.missed += 1
        else:
            self.lines.append(line)

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
        self._stopping.set()
        self._thread.join()  # its last turn writes every line already queued

    def _write(self) -> None:
        while True:
            stopping = self._stopping.wait(PERIOD)
            while self.lines:
                self._write_one(self.lines.popleft())
            self._report_missed()
            if stopping:
                return

    def _write_one(self, line: _Line) -> None:
        if isinstance(line, tuple):
            created, args = line
            record = access_log.access_log.makeRecord(
                access_log.access_log.name, logging.INFO, __file__, 0, access_log.LINE, args, None
            )
            record.created = created
            record.msecs = (created - int(created)) * 1000
            line = record
        self._handle(line)

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
