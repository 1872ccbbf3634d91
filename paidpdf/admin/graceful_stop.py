"""Running waitress until SIGTERM, then stopping without cutting anyone off.

waitress's own `run()` only ends on an exception, which closes every connection at once: a download
under way is cut and a request being answered loses its answer. Here the I/O loop runs in short turns
and, once SIGTERM arrived (from systemd, a container, or `serve --workers`' supervisor on stop and on
a SIGHUP reload):

1. the listener stops accepting. Its socket stays open: under `--workers` it is shared, and the
   connections waiting in its queue are taken by the other workers (or the one that replaces this one);
2. every request under way is answered and every answer still being sent (a download, sent by the I/O
   loop from the file) is sent to the end;
3. a connection that is idle between two requests (keep-alive) is closed, as is a fresh connection
   silent for a second; one that is receiving a request keeps it until the request is answered;
4. after `grace` seconds whatever is left is closed anyway.
Then the background work the requests left (receipts, mails, download records) is given what remains of
the grace to finish.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel

from paidpdf.admin.accept_share import HOLD_BACK_TURN

log = logging.getLogger("paidpdf.serve")

#: A fresh connection that sent nothing for this long is not waited for once stopping.
SILENT_FRESH = 1.0
#: How often the loop looks at the stop flag (poll() timeout while idle).
TURN = 0.25


class StopFlag:
    """Set by SIGTERM (and by tests); the loop notices within a turn."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def __call__(self, signum: int = 0, frame: Any = None) -> None:
        self.event.set()


def catch_signals(flag: StopFlag) -> Callable[[], None]:
    """From now on SIGTERM sets `flag` and SIGHUP is noted, not fatal (main thread only; call it
    before the server is announced, so a signal right after start-up is not lost). Returns the
    function that puts the previous handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # a server run in a thread (tests, an embedding program): no signals
    previous = signal.signal(signal.SIGTERM, flag)
    previous_hup = signal.signal(signal.SIGHUP, _no_reload)  # its default would end the process

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGHUP, previous_hup)

    return restore


def _no_reload(signum: int, frame: Any) -> None:
    """SIGHUP reaching one process (`--workers 1`, or a worker itself): a reload replaces processes,
    which only the supervisor can do; say so instead of dying."""
    log.warning("SIGHUP ignored: a reload replaces worker processes; run serve with --workers 2 or more")


def run_until_stopped(server: Any, grace: float, flag: StopFlag) -> None:
    """Serve until `flag` is set (SIGTERM, see `catch_signals`), then stop as described above."""
    channels = server._map  # waitress's socket map: listener, trigger, connections
    use_poll = bool(server.adj.asyncore_use_poll)
    publish = getattr(server, "paidpdf_publish", None)  # `--workers`: this worker's connection count
    while not flag.event.is_set():
        turn = HOLD_BACK_TURN if publish is not None and publish() else TURN
        wasyncore.loop(timeout=turn, map=channels, use_poll=use_poll, count=1)
    if publish is not None:
        publish(stopping=True)
    _finish(server, channels, use_poll, time.monotonic() + grace)


def _finish(server: Any, channels: dict[int, Any], use_poll: bool, deadline: float) -> None:
    for listener in _listeners(server, channels):
        listener.accepting = False  # readable() is now False: no more accept() here
    left = max(0.0, deadline - time.monotonic())
    log.info("stopping: answering the requests under way (at most %.0f s)", left)
    while time.monotonic() < deadline:
        if not _close_idle(channels):
            break
        wasyncore.loop(timeout=0.1, map=channels, use_poll=use_poll, count=1)
    busy = [c for c in channels.values() if isinstance(c, HTTPChannel)]
    if busy:
        log.warning("stopping: %d connection(s) still busy after the grace period are closed", len(busy))


def _close_idle(channels: dict[int, Any]) -> bool:
    """Mark idle connections to close; True while any connection is still open."""
    now = time.time()
    open_ = False
    for channel in list(channels.values()):
        if not isinstance(channel, HTTPChannel):
            continue
        open_ = True
        if channel.will_close or channel.close_when_flushed:
            continue
        working = channel.requests or channel.request is not None or channel.total_outbufs_len
        if working:
            continue
        served_before = channel.last_activity != channel.creation_time
        if served_before or now - channel.last_activity > SILENT_FRESH:
            channel.will_close = True  # the loop closes it on its next turn (writable → handle_close)
    return open_


def _listeners(server: Any, channels: dict[int, Any]) -> list[Any]:
    from waitress.server import BaseWSGIServer

    return [c for c in [server, *channels.values()] if isinstance(c, BaseWSGIServer)]


def finish_background(deadline: float, drains: list[Callable[[float], object]]) -> None:
    """Give each background queue (receipts, mails, download records) what is left until `deadline`."""
    for drain in drains:
        drain(max(0.1, deadline - time.monotonic()))
