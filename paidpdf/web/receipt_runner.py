"""Receipts are sent beside the request, not in it: a fulfilled purchase is safe the moment its unit
commits, so the webhook answers Stripe and the success page renders without waiting for the receipt's
own writes (its claim and its mark, `sales.receipts`).

One daemon thread per site, started by the first purchase, runs `receipts.send_due` whenever it is
kicked; kicks that arrive while it runs fold into one more run, so a burst of webhooks costs a few
runs, not one each. A receipt whose run never happens (the process died) stays due, and the next
fulfilment, success page or `orders reconcile` sends it. `drain` waits until nothing is pending
(tests, shutdown).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from paidpdf.errors import PaidPdfError

log = logging.getLogger("paidpdf.web")


class ReceiptRunner:
    def __init__(self, send: Callable[[], object]) -> None:
        self._send = send
        self._state = threading.Condition()
        self._pending = False
        self._busy = False
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        """Ask for a run (soon, in the background)."""
        with self._state:
            self._pending = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="paidpdf-receipts", daemon=True)
                self._thread.start()
            self._state.notify_all()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until no run is pending or under way; False on timeout."""
        with self._state:
            return self._state.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._state:
                self._state.wait_for(lambda: self._pending)
                self._pending, self._busy = False, True
            try:
                self._send()
            except PaidPdfError as exc:
                log.error("receipts not sent now: %s", exc.message)
            except Exception:  # a bug must not stop the thread that sends every later receipt
                log.exception("receipts not sent now")
            finally:
                with self._state:
                    self._busy = False
                    self._state.notify_all()
