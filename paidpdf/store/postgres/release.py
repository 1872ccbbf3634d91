"""Ending finished views' transactions off the reader's thread.

A view's reads share one read-only transaction (`documents.PgView`); when the view is done,
its connection must be rolled back before another thread may use it. Done on the reader's thread,
that rollback is one more round trip on every view, on the request path: a download's entitlement
check is three views, so three of its seven round trips were rollbacks. A finished view's connection
is instead handed to one background thread that rolls it back and returns it to the pool. Nothing the
reader does waits for it, and nothing can see the difference: the transaction was read-only, and
the connection is only used again after its rollback. Under load the pool lends another connection
meanwhile (a rollback takes a fraction of a millisecond).
"""

from __future__ import annotations

import queue
import threading
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool


def give_back(pool: ConnectionPool[Any], conn: psycopg.Connection[Any]) -> None:
    """End the connection's transaction (it is in autocommit mode, see `PgView`) and return it."""
    try:
        conn.execute("rollback")
        conn.autocommit = False
    except psycopg.Error:
        conn.close()  # the pool replaces a closed connection
    pool.putconn(conn)


class Releaser:
    """One daemon thread per store that gives finished views' connections back (see the module)."""

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self._pool = pool
        self._queue: queue.SimpleQueue[psycopg.Connection[Any] | None] = queue.SimpleQueue()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def release(self, conn: psycopg.Connection[Any]) -> None:
        with self._guard:
            if self._closed or threading.current_thread() is self._thread:
                give_back(self._pool, conn)  # shutting down: nobody would take it from the queue
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="paidpdf-pg-release", daemon=True)
                self._thread.start()
            self._queue.put(conn)

    def _run(self) -> None:
        while (conn := self._queue.get()) is not None:
            try:
                give_back(self._pool, conn)
            except Exception:
                conn.close()

    def close(self) -> None:
        """Give back everything queued, then stop (before the pool closes)."""
        with self._guard:
            self._closed = True
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()
