"""How `db check`, `db info` and `db compact` speak of a shop on PostgreSQL: the database's own figures.

Apart from `db.py` (which speaks of the data folder's bases and journals) because a PostgreSQL shop has
none of those: its figures come from `DataStore.database()` (paidpdf/store/postgres/report.py).
"""

from __future__ import annotations

from typing import Any

from paidpdf.byte_sizes import human_size

#: What `db compact` says on PostgreSQL, and why (also its `--json` answer).
WHY = "PostgreSQL vacuums itself"
NOTHING_TO_COMPACT = f"nothing to compact: {WHY}"
NOT_COMPACTED: dict[str, Any] = {"compacted": False, "backend": "postgresql", "reason": WHY}


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def server(database: dict[str, Any]) -> str:
    """`PostgreSQL 15.6, schema version 2`: the server the shop's documents are in."""
    return f"{database['engine']} {database['server_version']}, schema version {database['schema_version']}"


def check_summary(files: int, items: int, bytes_hashed: int, database: dict[str, Any]) -> str:
    """`db check`'s OK line: the data files read, the documents and bytes the database holds."""
    documents = sum(f["documents"] for f in database["files"].values())
    return (
        f"{files} data files in {server(database)}: "
        f"{_count(documents, 'document')}, {human_size(database['bytes'])} on disk; "
        f"{items} items, {bytes_hashed} bytes hashed"
    )


def info_pairs(database: dict[str, Any]) -> list[tuple[str, str]]:
    """`db info`'s rows: the server, each data file's documents per table, each table's rows and size."""
    pairs = [("database", server(database))]
    for name, entry in database["files"].items():
        pairs.append((name, ", ".join(f"{t}: {n:,}" for t, n in entry["tables"].items()) or "empty"))
    for name, entry in database["tables"].items():
        size = human_size(entry["bytes"])
        pairs.append((f"table {name}", f"{_count(entry['rows'], 'row')}, {size} on disk"))
    return pairs
