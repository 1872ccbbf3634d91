"""How many calls one API key may make: a per-process fixed window per key (`PER_MINUTE` a minute).

Per process, not shared: with `serve --workers N` a key gets up to N times the rate, which is still a
bound on what a leaked key or a runaway script can cost the shop. Over the limit the API answers 429
with Retry-After.
"""

from __future__ import annotations

import threading
import time

#: Calls a key may make in one minute, in one server process.
PER_MINUTE = 600


class KeyRate:
    def __init__(self, per_minute: int = PER_MINUTE) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def take(self, key_id: str, now: float | None = None) -> int:
        """0 when the call may go ahead, else the seconds to wait."""
        moment = time.monotonic() if now is None else now
        minute = int(moment // 60)
        with self._lock:
            window, used = self._windows.get(key_id, (minute, 0))
            if window != minute:
                window, used = minute, 0
            if used >= self.per_minute:
                return max(1, 60 - int(moment % 60))
            self._windows[key_id] = (window, used + 1)
            if len(self._windows) > 10_000:  # forget old windows: keys are few, but stay bounded
                self._windows = {k: v for k, v in self._windows.items() if v[0] == minute}
            return 0
