"""CPU time and memory of a process and all its descendants, read from /proc (Linux), for benches.

Why a tree: `paidpdf serve --workers N` is a parent and N worker processes, so the server's cost is the
sum over all of them. CPU counts every live process of the tree plus what the root has reaped from
children that died meanwhile (`cutime`/`cstime`), so a worker restarted mid-run is not lost. RSS is
summed over the tree (pages shared after a fork count once per process, as `ps` shows them) and the
largest single process is kept too.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (field 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(root: int) -> list[int]:
    """`root` and every process below it (by parent pid), those alive now."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            parent = int(_stat_fields(int(entry.name))[1])
        except (OSError, IndexError, ValueError):
            continue  # gone while we looked
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of the tree so far (live processes, plus the root's reaped children)."""
    total = 0
    for pid in descendants(root):
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        if pid == root:
            total += int(fields[13]) + int(fields[14])
    return total / _TICK


def rss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else 0


@dataclass
class TreeMemory:
    """Peak figures seen by a `MemoryWatch`, in MB."""

    peak_total: float = 0.0
    peak_process: float = 0.0
    processes: int = 0


class MemoryWatch:
    """Samples the tree's RSS every `every` seconds in a thread until stopped; keeps the peaks."""

    def __init__(self, root: int, every: float = 0.5) -> None:
        self.root, self.every = root, every
        self.seen = TreeMemory()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-watch", daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self.seen

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        sizes = [rss_kb(pid) for pid in descendants(self.root)]
        live = [s for s in sizes if s]
        self.seen.peak_total = max(self.seen.peak_total, sum(live) / 1024)
        self.seen.peak_process = max(self.seen.peak_process, max(live, default=0) / 1024)
        self.seen.processes = max(self.seen.processes, len(live))

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()
