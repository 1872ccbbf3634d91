"""What the PostgreSQL database holds, for `db check` and `db info`: the figures PostgreSQL itself keeps.

A shop on PostgreSQL has no bases or journals, so the data folder's figures (journal records, base
bytes) would be made up there. This reports what is true instead: the server's version, the schema
version in `paidpdf_schema`, the documents of each data file per table, and each of paidpdf's tables'
rows and size on disk (`pg_total_relation_size`: the table with its indexes and TOAST). Read in one
read-only transaction, so the figures are of one moment.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from paidpdf.errors import StorageError, StorageUnavailable
from paidpdf.store.layout import FILES
from paidpdf.store.postgres.documents import checkout, first_line

#: paidpdf's tables in the database (created by `backend._schema`).
TABLES = ("paidpdf_documents", "paidpdf_versions", "paidpdf_schema")

_SIZES = sql.SQL("select (select count(*) from {}), pg_total_relation_size(%s::regclass)")


def database_report(pool: ConnectionPool[Any]) -> dict[str, Any]:
    """`{"engine", "server_version", "schema_version", "files", "tables", "bytes"}` (see the module)."""
    conn = checkout(pool)
    try:
        conn.read_only = True
        try:
            return _read(conn)
        finally:
            conn.rollback()
            conn.read_only = False
    except psycopg.OperationalError as exc:
        raise StorageUnavailable(f"the database is unavailable: {first_line(exc)}") from None
    except psycopg.Error as exc:
        raise StorageError(f"database error: {first_line(exc)}") from None
    finally:
        pool.putconn(conn)


def _read(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    server = conn.execute("show server_version").fetchone()
    schema = conn.execute("select version from paidpdf_schema").fetchone()
    files: dict[str, dict[str, Any]] = {name: {"documents": 0, "tables": {}} for name in FILES}
    counted = conn.execute(
        "select file, tbl, count(*) from paidpdf_documents group by file, tbl order by file, min(seq)"
    )
    for file, table, count in counted.fetchall():
        entry = files.setdefault(file, {"documents": 0, "tables": {}})
        entry["tables"][table] = count
        entry["documents"] += count
    tables: dict[str, dict[str, int]] = {}
    for name in TABLES:
        row = conn.execute(_SIZES.format(sql.Identifier(name)), [name]).fetchone()
        if row is not None:
            tables[name] = {"rows": row[0], "bytes": row[1]}
    return {
        "engine": "PostgreSQL",
        "server_version": server[0] if server else None,
        "schema_version": schema[0] if schema else None,
        "files": files,
        "tables": tables,
        "bytes": sum(t["bytes"] for t in tables.values()),
    }
