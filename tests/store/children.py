"""Writer processes for the store's fault tests (spawned, killed, awaited) and a seeded shop's file
snapshot. Fixtures are in conftest.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from pathlib import Path

from paidpdf.store import FILES
from tests.data_files import state_bytes


class Child:
    """A forked process running `target(write_fd, read_fd)`; talks to the test over two pipes."""

    def __init__(self, target: Callable[[int, int], None]) -> None:
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 0
            try:
                os.close(self.to_child)
                os.close(self.from_child)
                target(from_child_w, to_child_r)
            except BaseException as exc:
                os.write(from_child_w, f"ERROR {type(exc).__name__}: {exc}\n".encode())
                code = 1
            finally:
                os._exit(code)
        os.close(to_child_r)
        os.close(from_child_w)
        self.pid = pid
        self._buffer = b""

    def send(self, line: str) -> None:
        os.write(self.to_child, line.encode() + b"\n")

    def readline(self) -> str:
        while b"\n" not in self._buffer:
            chunk = os.read(self.from_child, 65536)
            if not chunk:
                raise EOFError("child closed its pipe")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def read_rest(self) -> list[str]:
        """Every complete line the child wrote before it ended (call after it is dead)."""
        while chunk := os.read(self.from_child, 65536):
            self._buffer += chunk
        lines = self._buffer.split(b"\n")
        self._buffer = b""
        return [line.decode() for line in lines[:-1]]

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)

    def close(self) -> None:
        for fd in (self.to_child, self.from_child):
            with contextlib.suppress(OSError):
                os.close(fd)


def pdf_bytes(label: str) -> bytes:
    """Bytes that stand for a PDF; the storage never looks inside content files."""
    return b"%PDF-1.4\n% " + label.encode() * 200 + b"\n%%EOF\n"


def snapshot_files(root: Path) -> dict[str, bytes]:
    """Every regular file under `root` (but lock files) with its bytes, to prove nothing changed. A data
    file counts by its state (base plus journal, as the shop reads it), whatever its layout on disk (its
    index is derived from the base)."""
    found: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or ".locks" in path.parts:
            continue
        rel = path.relative_to(root)
        if len(rel.parts) == 1 and rel.suffix in (".json", ".journal", ".index") and rel.stem in FILES:
            if rel.suffix == ".json" or not (root / f"{rel.stem}.json").exists():
                found[f"{rel.stem}.json"] = state_bytes(root, rel.stem)
            continue
        found[str(rel)] = path.read_bytes()
    return found
