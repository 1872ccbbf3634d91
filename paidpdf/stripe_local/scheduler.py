"""A tiny timer queue with a few worker threads: webhook attempts, retries and delayed payments.

Stripe delivers webhooks concurrently and in no guaranteed order, and a slow or dead endpoint must
not hold up the others, so jobs run on several workers. Threads start lazily on the first job (no side
effects from building an app) and stop with `close()`.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import traceback
from collections.abc import Callable

Job = Callable[[], None]


class Scheduler:
    def __init__(self, workers: int = 4, name: str = "stripe-local") -> None:
        self._workers = max(1, workers)
        self._name = name
        self._heap: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._running = 0
        self._closed = False

    def call_later(self, delay: float, job: Job) -> None:
        """Run `job` on a worker after `delay` seconds (monotonic clock)."""
        with self._cond:
            if self._closed:
                return
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), next(self._seq), job))
            self._start_locked()
            self._cond.notify()

    def idle(self) -> bool:
        """True when nothing is queued and nothing is running."""
        with self._cond:
            return not self._heap and self._running == 0

    def next_due_in(self) -> float | None:
        with self._cond:
            return self._heap[0][0] - time.monotonic() if self._heap else None

    def close(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify_all()
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout)

    def _start_locked(self) -> None:
        while len(self._threads) < self._workers:
            thread = threading.Thread(
                target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._closed:
                    return
                _, _, job = heapq.heappop(self._heap)
                self._running += 1
            try:
                job()
            except Exception:  # a failing job must not kill the worker; show it like a thread would
                traceback.print_exc()
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()
