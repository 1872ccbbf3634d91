"""`paidpdf serve --workers N`: one listening socket, N waitress processes, one supervisor.

Python runs one thread of Python at a time, so one process uses about one core. The supervisor (this
module, the process `paidpdf serve` started as) binds the address once and starts N workers
(`serve_worker`), each a whole site on waitress with its own store handle, all accepting from that one
socket. Why waitress processes and not granian's or gunicorn's workers: docs/web.md "Serving speed".

The supervisor answers no request itself and holds the socket for the whole run, so the address never
refuses a connection while workers come and go (connections wait in the socket's queue):
- a worker that dies (killed, crashed) is started again; one that dies within `QUICK_DEATH` seconds of
  its start `QUICK_DEATHS` times in a row stops the server with an error (a broken setup would
  otherwise restart forever);
- SIGTERM / Ctrl-C: every worker gets SIGTERM and stops gracefully (`graceful_stop`: requests and
  downloads under way finish within `PAIDPDF_SHUTDOWN_GRACE` seconds), then the supervisor exits;
  whatever still runs `GRACE_MARGIN` seconds after the grace is killed;
- SIGHUP: a rolling reload. One by one, a new worker is started (fresh interpreter: new code and
  templates after an upgrade) and, once it is ready, the old one it replaces is stopped gracefully.
  Never fewer than N workers accept meanwhile. A new worker that cannot start ends the reload; the
  old ones keep serving.
Per-process background work stays correct with N processes: a receipt is claimed in a store unit before
it is sent (`sales.receipts`), a mail is queued by the one process whose request made it, and each
download is recorded by the process that sent it.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from paidpdf.admin.accept_share import NOT_ACCEPTING, AcceptShare
from paidpdf.errors import AddressInUse, ConfigError, PaidPdfError

log = logging.getLogger("paidpdf.serve")

#: A worker that ends sooner than this after its start counts as a quick death.
QUICK_DEATH = 5.0
QUICK_DEATHS = 5
#: Seconds a new worker may take to build the site before it is given up on.
START_TIMEOUT = 60.0
#: Extra seconds after the grace before a worker that has not stopped is killed.
GRACE_MARGIN = 5.0
#: Counters in the `AcceptShare` per worker: room for old workers still in their grace after reloads.
SLOTS_PER_WORKER = 8
#: `paidpdf.accounts.passwords.CONCURRENCY_ENV` (not imported: the supervisor loads no password code).
CONCURRENCY_ENV = "PAIDPDF_HASH_CONCURRENCY"
#: The listening socket's queue: connections wait there while workers are busy or being replaced.
BACKLOG = 2048


class WorkersFailed(PaidPdfError):
    exit_code = 1


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    ready: int  # read end of the pipe the worker writes one byte to once it serves
    slot: int  # its counter in the `AcceptShare`
    started: float = field(default_factory=time.monotonic)
    serving: bool = False  # its ready byte arrived
    stop_by: float | None = None  # set once it was told to stop: killed if still running by then


def bind(host: str, port: int) -> socket.socket:
    """The shared listening socket (inheritable, so each worker gets it by its descriptor number)."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        listening = socket.create_server(address[:2], family=family, backlog=BACKLOG)
    except OSError as exc:
        shown = f"[{host}]" if ":" in host else host
        if exc.errno == errno.EADDRINUSE:
            raise AddressInUse(f"cannot listen on {shown}:{port}: address already in use (try --port)") \
                from None
        raise ConfigError(f"cannot listen on {shown}:{port}: {exc.strerror or exc}") from None
    listening.set_inheritable(True)
    return listening


class Supervisor:
    """Starts, watches, replaces and stops the workers; `run()` returns when they all stopped."""

    def __init__(self, listening: socket.socket, count: int, options: dict[str, Any], grace: float) -> None:
        self.listening = listening
        self.count = count
        self.options = options
        self.grace = grace
        self.workers: list[_Worker] = []
        self.retiring: list[_Worker] = []
        self._signals: list[int] = []
        self._quick_deaths = 0
        # a slot per live process: old workers still finishing (reloads in a row) count too
        self.share = AcceptShare.create(SLOTS_PER_WORKER * count)
        self._free_slots = list(range(SLOTS_PER_WORKER * count))

    # -- signals ----------------------------------------------------------------------------------
    def _note(self, signum: int, frame: Any) -> None:
        self._signals.append(signum)

    def _stop_asked(self) -> bool:
        return any(s in (signal.SIGTERM, signal.SIGINT) for s in self._signals)

    # -- workers ----------------------------------------------------------------------------------
    def _spawn(self) -> _Worker:
        read_end, write_end = os.pipe()
        fd = self.listening.fileno()
        if not self._free_slots:
            raise WorkersFailed("too many workers still stopping from earlier reloads; wait and reload again")
        slot = self._free_slots.pop(0)
        self.share.set(slot, 0)
        options = {
            **self.options, "fd": fd, "ready_fd": write_end,
            "share_fd": self.share.fd, "slots": self.share.slots, "slot": slot,
        }
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "paidpdf.admin.serve_worker", json.dumps(options)],
                pass_fds=(fd, write_end, self.share.fd),
                stdin=subprocess.DEVNULL,
                env=self._worker_env(),
            )
        finally:
            os.close(write_end)
        return _Worker(process, read_end, slot)

    def _worker_env(self) -> dict[str, str]:
        """The supervisor's environment; without `PAIDPDF_HASH_CONCURRENCY`, the default hash slots
        of one process (CPUs, at most 8: 64 MiB each) are shared out among the workers, so N workers
        cannot hash N times as many passwords at once (memory) as one server did."""
        env = dict(os.environ)
        if not env.get(CONCURRENCY_ENV, "").strip():
            env[CONCURRENCY_ENV] = str(max(1, min(8, os.cpu_count() or 1) // self.count))
        return env

    def _wait_ready(self, worker: _Worker) -> bool:
        """True once the worker serves; False if it ended first, took too long, or a stop was asked."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and not self._stop_asked():
            readable, _, _ = select.select([worker.ready], [], [], 0.2)
            if readable:
                worker.serving = os.read(worker.ready, 1) == b"r"
                return worker.serving
        return False

    def _note_serving(self) -> None:
        """Log when a replacement worker serves (it was started without waiting for it)."""
        waiting = {w.ready: w for w in self.workers if not w.serving and w.process.poll() is None}
        if not waiting:
            return
        readable, _, _ = select.select(list(waiting), [], [], 0)
        for fd in readable:
            worker = waiting[fd]
            worker.serving = os.read(fd, 1) == b"r"
            if worker.serving:
                log.info("worker %d serves", worker.process.pid)

    def _tell_to_stop(self, worker: _Worker) -> None:
        if worker.stop_by is None:
            worker.stop_by = time.monotonic() + self.grace + GRACE_MARGIN
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)

    def _close(self, worker: _Worker) -> None:
        """After the worker ended: its pipe, and its slot (free again, and not counted)."""
        os.close(worker.ready)
        self.share.set(worker.slot, NOT_ACCEPTING)
        self._free_slots.append(worker.slot)

    def start(self) -> None:
        """Start N workers and wait until each serves; `WorkersFailed` (after stopping them) if not."""
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._note)
        self.workers = [self._spawn() for _ in range(self.count)]
        if not all(self._wait_ready(w) for w in self.workers):
            self.stop()
            if self._stop_asked():
                raise KeyboardInterrupt
            raise WorkersFailed("a worker did not start (its error is above); nothing is served")

    def run(self) -> None:
        """Supervise until SIGTERM or Ctrl-C, then stop every worker gracefully."""
        try:
            while not self._stop_asked():
                if signal.SIGHUP in self._signals:
                    self._signals = [s for s in self._signals if s != signal.SIGHUP]
                    self._reload()
                    continue
                self._replace_the_dead()
                self._note_serving()
                self._reap_retiring()
                time.sleep(0.1)
        finally:
            self.stop()

    def _replace_the_dead(self) -> None:
        for index, worker in enumerate(self.workers):
            code = worker.process.poll()
            if code is None:
                continue
            self._close(worker)
            lived = time.monotonic() - worker.started
            self._quick_deaths = self._quick_deaths + 1 if lived < QUICK_DEATH else 0
            how = f"signal {-code}" if code < 0 else f"exit code {code}"
            if self._quick_deaths >= QUICK_DEATHS:
                raise WorkersFailed(f"workers keep ending right after they start (last: {how}); stopped")
            log.warning("worker %d ended (%s) after %.0f s: starting another", worker.process.pid, how, lived)
            self.workers[index] = self._spawn()

    def _reap_retiring(self) -> None:
        for worker in list(self.retiring):
            if worker.process.poll() is not None:
                self._close(worker)
                self.retiring.remove(worker)
            elif worker.stop_by is not None and time.monotonic() > worker.stop_by:
                log.warning("worker %d did not stop within the grace period: killed", worker.process.pid)
                worker.process.kill()

    def _reload(self) -> None:
        log.info("reload: replacing %d workers one by one", len(self.workers))
        for index in range(len(self.workers)):
            fresh = self._spawn()
            if not self._wait_ready(fresh):
                self._tell_to_stop(fresh)
                self.retiring.append(fresh)
                if not self._stop_asked():
                    log.error("reload stopped: a new worker did not start (see above); the others serve on")
                return
            old, self.workers[index] = self.workers[index], fresh
            self._tell_to_stop(old)
            self.retiring.append(old)
            self._reap_retiring()
        log.info("reload: done")

    def stop(self) -> None:
        """SIGTERM to every worker; wait for them (the grace, plus a margin), kill what is left."""
        everyone = self.workers + self.retiring
        for worker in everyone:
            self._tell_to_stop(worker)
        for worker in everyone:
            left = (worker.stop_by or time.monotonic()) - time.monotonic()
            try:
                worker.process.wait(timeout=max(0.1, left))
            except subprocess.TimeoutExpired:
                log.warning("worker %d did not stop within the grace period: killed", worker.process.pid)
                worker.process.kill()
                worker.process.wait()
            self._close(worker)
        self.workers, self.retiring = [], []
        self.listening.close()


def cpu_count() -> int:
    """The default number of workers: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def serve_with_workers(settings: Any, count: int, **options: Any) -> None:
    """`paidpdf serve --workers N` (N > 1): bind, start the workers, announce, supervise until stopped."""
    from paidpdf.admin.site_server import DEFAULT_BASE_URL, check_host
    from paidpdf.web import security

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = options["host"]
    check_host(host)
    security.load_secret_key(settings, host)  # refuse before binding; on loopback, made once here
    listening = bind(host, options["port"])
    bound_host, bound_port = listening.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in str(bound_host) else str(bound_host)
    url = f"http://{shown}:{bound_port}"
    local = settings.base_url == DEFAULT_BASE_URL and security.is_loopback(host)
    base_url = url if local else settings.base_url  # as `build_server` does for one process
    worker_options = {
        "data": str(settings.data_dir),
        "base_url": base_url,
        "host": host,
        "threads": options["threads"],
        "trusted_proxy": options.get("trusted_proxy"),
        "connection_limit": options["connection_limit"],
        "idle_timeout": options["idle_timeout"],
    }
    supervisor = Supervisor(listening, count, worker_options, float(settings.shutdown_grace))
    try:
        supervisor.start()
    except KeyboardInterrupt:
        return
    print(
        f"Serving the reader site on {url} with {count} workers (documents: {settings.documents_location()}; "
        f"files: {settings.files_location()}; data folder: {settings.data_dir}); Ctrl-C stops it.",
        flush=True,
    )
    supervisor.run()
