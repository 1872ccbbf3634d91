"""Writing the download log off the request path: a file's last byte is handed on by the server's
I/O loop (waitress closes the file there), which must never wait for the database.

`TrackedFile` wraps an open file and, when the server closes it, tells how far it got; a body that
reached its planned end is a completed download, and its record is queued for one background thread
(`DownloadRecorder`), which writes it through `download_log.record`. A record still queued when the
process dies is lost: the log is evidence, not money, and a limit then errs for the reader.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Protocol

from paidpdf.errors import PaidPdfError
from paidpdf.ownership import download_log
from paidpdf.store import DataStore

log = logging.getLogger("paidpdf.web")

CHUNK = 256 * 1024


class DownloadRecorder:
    """One daemon thread that writes completed downloads, started by the first one."""

    def __init__(self, store: DataStore, capacity: int = 10_000) -> None:
        self.store = store
        self._queue: queue.Queue[download_log.Delivery] = queue.Queue(capacity)
        self._start = threading.Lock()
        self._thread: threading.Thread | None = None

    def completed(self, sent: download_log.Delivery) -> None:
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="paidpdf-downloads", daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait(sent)
        except queue.Full:
            log.error("download log queue full: a download by %s was not recorded", sent.user_id)

    def drain(self) -> None:
        """Wait until every queued record is written (tests, shutdown)."""
        self._queue.join()

    def _run(self) -> None:
        while True:
            sent = self._queue.get()
            try:
                download_log.record(self.store, sent)
            except PaidPdfError as exc:
                log.error("download not recorded: %s", exc.message)
            except Exception:  # a bug must not stop the thread that logs every later download
                log.exception("download not recorded")
            finally:
                self._queue.task_done()


class Readable(Protocol):
    @property
    def closed(self) -> bool: ...

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...
    def close(self) -> None: ...


class TrackedFile:
    """A file handed to the server that reports, when closed, whether its body was sent to `end`."""

    def __init__(self, handle: Readable, end: int, done: Callable[[], None]) -> None:
        self._handle = handle
        self._end = end
        self._done: Callable[[], None] | None = done

    def read(self, size: int = -1) -> bytes:
        return self._handle.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def close(self) -> None:
        done, self._done = self._done, None
        try:
            reached = not self._handle.closed and self._handle.tell() >= self._end
        finally:
            self._handle.close()
        if done is not None and reached:
            done()


def chunks(handle: Readable, remaining: int, done: Callable[[], None] | None = None) -> Iterator[bytes]:
    """`remaining` bytes from `handle` in 256 KiB blocks, for servers whose file wrapper cannot send a
    range; `done` runs when the last byte was handed on (a download completed)."""
    try:
        while remaining > 0:
            block = handle.read(min(CHUNK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block
    finally:
        handle.close()
    if remaining == 0 and done is not None:
        done()
