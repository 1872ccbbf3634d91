"""Resident memory of a process as Linux counts it (/proc/<pid>/status), for every bench that measures
memory: one reading, so benches cannot disagree on what "peak" means.

Why VmHWM and not `resource.getrusage(...).ru_maxrss`: on Linux a child's ru_maxrss keeps the parent's
high-water mark across fork and exec (a parent at 300 MB made a child report 313 MB of ru_maxrss
against 13 MB of VmHWM), so a child that measured itself with ru_maxrss reported its parent's peak and
every row came out the same. VmHWM is the process's own peak RSS since exec.

Not a bench (no `--quick`): benches import it (`from peak_memory import peak_mb`, with `bench/` on
`sys.path`; a bench's child process puts it there itself).
"""

from __future__ import annotations

from pathlib import Path


def status_kb(pid: int | str, field: str) -> int:
    """The `field` line of /proc/<pid>/status in kB (`VmHWM`, `VmRSS`; `pid` "self" for this one), 0 if absent."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def peak_mb() -> float:
    """This process's peak resident memory so far (VmHWM), in MB (MiB, as the kernel counts)."""
    return status_kb("self", "VmHWM") / 1024
