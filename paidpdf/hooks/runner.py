"""The hook worker as a thread of `paidpdf serve` (every worker process runs one: claims keep each
attempt to one of them) and as `paidpdf hooks deliver`. It polls the queue every `interval` seconds;
a failing store is logged and tried again, never fatal to the site.
"""

from __future__ import annotations

import logging
import threading
import time

from paidpdf.errors import PaidPdfError
from paidpdf.hooks import delivery
from paidpdf.store import DataStore

log = logging.getLogger("paidpdf.hooks")


#: Seconds between two prunings of old finished deliveries (`delivery.prune`).
PRUNE_EVERY = 3600.0


def run(store: DataStore, pace: delivery.Pace, stop: threading.Event, interval: float = 1.0) -> None:
    pruned_at = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() - pruned_at >= PRUNE_EVERY:
                pruned_at = time.monotonic()
                delivery.prune(store)
            sent = delivery.deliver_due(store, pace)
            if sent:
                log.info("hooks: %d event(s) delivered", sent)
        except PaidPdfError as exc:
            log.error("hooks not delivered now: %s", exc.message)
        except Exception:  # a bug must not stop every later delivery
            log.exception("hooks not delivered now")
        stop.wait(interval)


class HookRunner:
    def __init__(self, store: DataStore, pace: delivery.Pace, interval: float = 1.0) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=run, args=(store, pace, self._stop, interval), name="paidpdf-hooks", daemon=True
        )

    def start(self) -> HookRunner:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
