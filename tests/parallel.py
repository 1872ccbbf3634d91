"""Running the suite in parallel (pytest-xdist): which tests run alone, and in what order tests start.

Tests that judge wall-clock time run alone, even when the suite runs in parallel.

A test marked `solo` (a latency bound, a ratio of two timings) would measure the other workers' load as
much as the code it checks. So every test holds a shared lock while it runs (setup, call, teardown), and
a `solo` test holds it exclusively for its setup and call: it waits for the tests running on other
workers to finish, and they wait for it before starting their next one (its teardown holds it shared).
A second lock, the gate, keeps a waiting `solo` test from being starved by the other workers'
back-to-back shared locks (they pass the gate on the way in).

The locks are `flock`s on two files in a folder the controller makes for the run and hands to every
worker (`workerinput`); without xdist (`-n 0`) nothing is locked: the tests run one at a time anyway.

Order: under xdist the long tests (marked `slow` or `browser`: a minute for some) start first, so the
run does not end with one worker busy on them while the others idle (with `--maxschedchunk 1` in
setup.cfg, so they go to whichever worker is free instead of all into the first worker's chunk);
`solo` tests come last, where waiting for the other workers' current tests costs least. Without xdist
the order is the files' order.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

_FOLDER = "paidpdf_solo_locks"


def configure_node(node: Any) -> None:
    """Controller side (`pytest_configure_node`): hand the run's lock folder to a starting worker."""
    config = node.config
    folder = getattr(config, "_paidpdf_solo_folder", None)
    if folder is None:
        folder = tempfile.mkdtemp(prefix="paidpdf-solo-")
        config._paidpdf_solo_folder = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    node.workerinput[_FOLDER] = folder


def _folder(config: pytest.Config) -> Path | None:
    workerinput = getattr(config, "workerinput", None)
    if not workerinput or _FOLDER not in workerinput:
        return None
    return Path(workerinput[_FOLDER])


def order(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long tests first, `solo` tests last, the rest in between (each group in collection order)."""
    if _folder(config) is None:
        return

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("solo") is not None:
            return 2
        long = item.get_closest_marker("slow") or item.get_closest_marker("browser")
        return 0 if long is not None else 1

    items.sort(key=rank)  # stable: each group keeps its order (and its modules together)


_HELD: dict[str, tuple[int, int]] = {}  #: the test running now: its gate and `running` descriptors


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


@contextmanager
def turn(config: pytest.Config, item: pytest.Item) -> Iterator[None]:
    """The lock one test holds while it runs: exclusive for `solo` (until its teardown, see
    `teardown_begins`), shared otherwise."""
    folder = _folder(config)
    if folder is None:
        yield
        return
    solo = item.get_closest_marker("solo") is not None
    gate, running = _open(folder / "gate"), _open(folder / "running")
    try:
        fcntl.flock(gate, fcntl.LOCK_EX)
        fcntl.flock(running, fcntl.LOCK_EX if solo else fcntl.LOCK_SH)
        if not solo:
            fcntl.flock(gate, fcntl.LOCK_UN)  # a solo test keeps the gate: nobody starts meanwhile
        _HELD[item.nodeid] = (gate, running)
        yield
    finally:
        _HELD.pop(item.nodeid, None)
        os.close(gate)  # closing releases the locks
        os.close(running)


def teardown_begins(item: pytest.Item) -> None:
    """A `solo` test's measurement is over: its teardown (which may be a worker's whole session
    teardown: clusters and servers stopped, folders removed) holds the lock shared, so the other
    workers go on meanwhile, while another `solo` test still waits for it."""
    held = _HELD.get(item.nodeid)
    if held is not None and item.get_closest_marker("solo") is not None:
        gate, running = held
        fcntl.flock(running, fcntl.LOCK_SH)
        fcntl.flock(gate, fcntl.LOCK_UN)
