"""File sizes for people, the same in the terminal and on the site."""

from __future__ import annotations


def human_size(size: int | None) -> str:
    """Bytes for people: 1536 -> "1.5 KB"."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            if unit == "bytes":
                return f"{int(value)} bytes"
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover
