"""Writing the download log off the request path: a file's last byte is handed on by the server's
I/O loop (waitress closes the file there), which must never wait for the database.

`TrackedFile` wraps an open file and, when the server closes it, tells how many bytes of its body it
handed on (`CountedStream` does the same for a body of blocks, on servers without a file wrapper and
for objects streamed from the bucket). Every answer that ended is queued for one background thread
(`DownloadRecorder`), which writes through `download_log.record`: the log record of a completed
download, and the give-back of the unsent part of a download limit's reservation when an answer
stopped early. A record still queued when the process dies is lost: the log is evidence, not money,
and a limit then errs for the shop (the reservation stays charged; `users reset-downloads`).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator

from paidpdf.errors import PaidPdfError
from paidpdf.ownership import download_log
from paidpdf.store import DataStore
from paidpdf.store.files.file_source import LocalFile

log = logging.getLogger("paidpdf.web")

CHUNK = 256 * 1024


class DownloadRecorder:
    """One daemon thread that writes what ended answers leave behind, started by the first one."""

    def __init__(self, store: DataStore, capacity: int = 10_000) -> None:
        self.store = store
        self._queue: queue.Queue[download_log.Delivery] = queue.Queue(capacity)
        self._start = threading.Lock()
        self._thread: threading.Thread | None = None

    def ended(self, sent: download_log.Delivery) -> None:
        if not sent.worth_writing:
            return
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="paidpdf-downloads", daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait(sent)
        except queue.Full:
            log.error("download log queue full: a download by %s was not recorded", sent.user_id)
            if sent.reservation is not None and sent.unsent > 0:
                log.error("  and %d unsent bytes stay charged to its download limit", sent.unsent)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued record is written (tests, shutdown); False on timeout."""
        if timeout is None:
            self._queue.join()
            return True
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

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


class TrackedFile:
    """A file handed to the server, positioned at `start`, that reports when closed how many of the
    `length` bytes from there it was read for (waitress's file wrapper reads what it sends)."""

    def __init__(self, handle: LocalFile, start: int, length: int, ended: Callable[[int], None]) -> None:
        self._handle = handle
        self._start = start
        self._length = length
        self._ended: Callable[[int], None] | None = ended

    def read(self, size: int = -1) -> bytes:
        return self._handle.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def close(self) -> None:
        ended, self._ended = self._ended, None
        sent = 0
        try:
            if not self._handle.closed:
                sent = min(max(self._handle.tell() - self._start, 0), self._length)
        finally:
            self._handle.close()
        if ended is not None:
            ended(sent)


class CountedStream:
    """An answer's body as blocks, counted as they are handed on; reports the count once, when the
    blocks run out, fail, or the server closes it (a reader who went away), whichever comes first."""

    def __init__(
        self, blocks: Iterator[bytes], ended: Callable[[int], None], closing: LocalFile | None = None
    ) -> None:
        self._blocks = blocks
        self._ended: Callable[[int], None] | None = ended
        self._closing = closing
        self._sent = 0

    def __iter__(self) -> CountedStream:
        return self

    def __next__(self) -> bytes:
        try:
            block = next(self._blocks)
        except BaseException:  # the end (StopIteration) or a failure: report either way
            self.close()
            raise
        self._sent += len(block)
        return block

    def close(self) -> None:
        ended, self._ended = self._ended, None
        try:
            close = getattr(self._blocks, "close", None)
            if close is not None:
                close()
            if self._closing is not None:
                self._closing.close()
        finally:
            if ended is not None:
                ended(self._sent)


def chunks(handle: LocalFile, remaining: int, ended: Callable[[int], None]) -> CountedStream:
    """`remaining` bytes from `handle` in 256 KiB blocks, for servers whose file wrapper cannot send a
    range; `ended(sent)` runs once the answer is over (see `CountedStream`)."""

    def blocks() -> Iterator[bytes]:
        left = remaining
        while left > 0:
            block = handle.read(min(CHUNK, left))
            if not block:
                break
            left -= len(block)
            yield block

    return CountedStream(blocks(), ended, closing=handle)
